import RefbotTransport
import Testing

@testable import RefbotCurl

/// The pure parts of RefbotCurl: no servers needed.
@Suite("IMAP syntax and response parsing")
struct IMAPSyntaxTests {
    @Test(
        "UID sets are written compactly and read back in order",
        arguments: [
            ([7, 3, 4, 5], "3:5,7"), ([1], "1"), ([2, 2, 1], "1:2"), ([10, 12, 11, 20, 21], "10:12,20:21"),
        ] as [([UInt32], String)])
    func sequenceSets(uids: [UInt32], text: String) {
        #expect(IMAPSyntax.sequenceSet(uids) == text)
        #expect(IMAPTokenReader.sequenceSet(ArraySlice(text.utf8)) == Array(Set(uids)).sorted())
    }

    @Test("expanding a set keeps the written order and refuses what is not a UID set")
    func expandSequenceSet() {
        func expand(_ text: String) -> [UInt32]? { IMAPTokenReader.sequenceSet(ArraySlice(text.utf8)) }
        #expect(expand("5:3,9") == [3, 4, 5, 9])
        #expect(expand("9,1") == [9, 1])
        #expect(expand("1:*") == nil)
        #expect(expand("") == nil)
        #expect(expand("1:4000000000") == nil)
    }

    @Test("folder names: modified UTF-7, quoting, percent-encoding")
    func folderNames() {
        #expect(IMAPSyntax.modifiedUTF7("Processed") == "Processed")
        #expect(IMAPSyntax.modifiedUTF7("Entwürfe") == "Entw&APw-rfe")
        #expect(IMAPSyntax.modifiedUTF7("A & B") == "A &- B")
        #expect(IMAPSyntax.modifiedUTF7("日本語") == "&ZeVnLIqe-")  // RFC 3501's example
        #expect(IMAPSyntax.astring("Processed") == "Processed")
        #expect(IMAPSyntax.astring("Two words") == "\"Two words\"")
        #expect(IMAPSyntax.astring("a\"b\\c") == "\"a\\\"b\\\\c\"")
        #expect(IMAPSyntax.astring("") == "\"\"")
        #expect(IMAPSyntax.percentEncoded("A b/ü") == "A%20b%2F%C3%BC")
        #expect(IMAPSyntax.percentDecoded("A%20b%2F%C3%BC%zz") == "A b/ü%zz")
    }

    @Test("libcurl's header lines: CAPABILITY, the tagged status")
    func responses() {
        let capability = Array("* CAPABILITY IMAP4rev1 UIDPLUS move IDLE\r\n".utf8)
        #expect(IMAPResponse.capabilities(capability) == ["IMAP4REV1", "UIDPLUS", "MOVE", "IDLE"])
        let tagged = Array(
            "* OK [CAPABILITY IMAP4rev1] Logged in\r\nA004 NO [ALREADYEXISTS] Mailbox already exists\r\n".utf8)
        #expect(IMAPResponse.taggedStatus(tagged)?.status == "NO")
        #expect(IMAPResponse.taggedStatus(tagged)?.text == "[ALREADYEXISTS] Mailbox already exists")
        // A refusal followed by the OK of a LOGOUT on the same handle: the refusal is what counts.
        let refusedThenLogout = Array(
            "A005 NO [TRYCREATE] Mailbox doesn't exist: Processed\r\n* BYE Logging out\r\nA006 OK Logout completed.\r\n".utf8)
        #expect(IMAPResponse.taggedStatus(refusedThenLogout)?.status == "OK")
        #expect(IMAPResponse.taggedStatus(refusedThenLogout, failuresFirst: true)?.text == "[TRYCREATE] Mailbox doesn't exist: Processed")
    }

    @Test("Message-IDs are cut down to what a quoted IMAP string can carry")
    func searchableMessageID() {
        #expect(IMAPMailbox.searchableMessageID("<a.b@example.test>") == "a.b@example.test")
        #expect(IMAPMailbox.searchableMessageID("x\" ALL\r\nA1 LOGOUT") == "xALLA1LOGOUT")
        #expect(IMAPMailbox.searchableMessageID("\"\\\"") == "")
    }

    @Test("mail URLs: scheme, authority and the decoded folder")
    func mailURLs() throws {
        let url = try MailURL("IMAPS://mail.example.org:993/Entw%C3%BCrfe", schemes: ["imaps", "imap"], service: .imap)
        #expect(url.scheme == "imaps")
        #expect(url.authority == "mail.example.org:993")
        #expect(url.path == "Entwürfe")
        #expect(url.implicitTLS)
        #expect(try MailURL("smtp://127.0.0.1:587", schemes: ["smtps", "smtp"], service: .smtp).path == "")
        #expect(throws: TransportError.self) { try MailURL("http://x", schemes: ["imaps", "imap"], service: .imap) }
        #expect(throws: TransportError.self) { try MailURL("mail.example.org", schemes: ["imaps"], service: .imap) }
    }
}

@Suite("Classifying libcurl failures")
struct CurlFailureClassificationTests {
    private func transfer(_ code: CurlCode, reply: Int = 0, headers: String = "", text: String = "") -> CurlTransfer {
        CurlTransfer(
            code: code, errorText: text, body: [], headers: Array(headers.utf8), bodyOverflowed: false,
            responseCode: reply, newConnections: 0)
    }

    private func classify(_ transfer: CurlTransfer, _ service: MailService) -> TransportError {
        TransportError.classify(transfer, service: service, server: "mail.example.org:993", doing: "the test")
    }

    @Test("SMTP reply codes decide: 4xx temporary, 5xx permanent, 552 too large, 535 login")
    func smtpReplies() {
        let deferred = classify(transfer(.sendError, reply: 451, headers: "451 4.3.0 busy\r\n"), .smtp)
        #expect(deferred == .temporary(.rejected, ""))
        #expect(deferred.serverCode == 451)
        #expect(deferred.message.contains("451 4.3.0 busy"))
        #expect(classify(transfer(.sendError, reply: 550), .smtp) == .permanent(.rejected, ""))
        #expect(classify(transfer(.weirdServerReply, reply: 552), .smtp) == .permanent(.tooLarge, ""))
        #expect(classify(transfer(.loginDenied, reply: 535), .smtp) == .permanent(.authentication, ""))
    }

    @Test("connection, timeout and TLS trouble is temporary; a refused login is permanent")
    func codes() {
        for service in [MailService.imap, .smtp] {
            #expect(classify(transfer(.couldNotConnect), service) == .temporary(.connection, ""))
            #expect(classify(transfer(.couldNotResolveHost), service) == .temporary(.connection, ""))
            #expect(classify(transfer(.receiveError), service) == .temporary(.connection, ""))
            #expect(classify(transfer(.operationTimedOut), service) == .temporary(.timeout, ""))
            #expect(classify(transfer(.peerFailedVerification), service) == .temporary(.tls, ""))
            #expect(classify(transfer(.useSSLFailed), service) == .temporary(.tls, ""))
            #expect(classify(transfer(.loginDenied), service) == .permanent(.authentication, ""))
        }
        let tls = classify(transfer(.peerFailedVerification), .imap)
        #expect(tls.message.contains("IMAP server certificate not trusted (set imap.ca_file or imap.tls_verify)"))
    }

    @Test("IMAP NO/BAD is rejected: permanent, unless the server says it is passing")
    func imapRefusals() {
        let no = classify(transfer(.quoteError, headers: "A3 NO [TRYCREATE] Mailbox doesn't exist: X\r\n"), .imap)
        #expect(no == .permanent(.rejected, ""))
        #expect(no.message.contains("TRYCREATE"))
        let busy = classify(transfer(.quoteError, headers: "A3 NO [INUSE] Mailbox is locked\r\n"), .imap)
        #expect(busy == .temporary(.rejected, ""))
        #expect(classify(transfer(.remoteFileNotFound), .imap) == .permanent(.notFound, ""))
        #expect(classify(transfer(.loginDenied, text: "Select failed"), .imap) == .permanent(.notFound, ""))
    }
}
