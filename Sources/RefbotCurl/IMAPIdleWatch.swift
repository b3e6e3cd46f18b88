import Foundation
import RefbotTransport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension IMAPMailbox: InboxWatchingMailbox {
    /// IDLE on a second connection of its own (RFC 2177): the first stays free for fetching and
    /// moving while this one waits, and neither waits for the other. See ``IMAPIdleWatch``.
    public func watchInbox(
        onNewMail: @escaping @Sendable () -> Void, onEvent: @escaping @Sendable (InboxWatchEvent) -> Void
    ) -> any InboxWatch {
        IMAPIdleWatch(mailbox: self, onNewMail: onNewMail, onEvent: onEvent)
    }
}

/// Holds the IDLE connection between the async loop and the watch's own thread.
private final class IdleConnectionBox: @unchecked Sendable {
    // Used by the watch's single thread only, one closure at a time.
    var connection: IMAPConnection?
}

/// Watches the inbox with IDLE on its own connection and thread.
///
/// It logs in, `EXAMINE`s the inbox (read-only: idling changes no flag), calls `onNewMail` once
/// (mail may have come while it was away), then idles: each `* n EXISTS` calls `onNewMail`. IDLE is
/// ended with `DONE` and sent again every ``IMAPMailbox/idleReissueSeconds`` (25 minutes; servers
/// may drop an IDLE after 30). A server without the IDLE capability ends the watch with
/// ``InboxWatchEvent/unsupported`` (polling goes on). Any error drops the connection and tries again
/// after 1, 2, 4 … 60 seconds. ``stop()`` wakes the waiting thread through a pipe, sends `DONE`
/// and `LOGOUT`, and returns when the connection is closed.
///
/// It runs on a thread of its own (not the shared libcurl pool), so a long IDLE never keeps a
/// fetch or a send waiting for a thread.
final class IMAPIdleWatch: InboxWatch, Sendable {
    private let mailbox: IMAPMailbox
    private let thread = CurlThreadPool(threads: 1)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopped = Atomic(false)
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let box = IdleConnectionBox()
    /// The commands the last IDLE connection sent (names only), kept when it closes; for tests.
    let commandLog = Mutex<[String]>([])
    /// How many times IDLE was sent; for tests.
    let idleCount = Atomic(0)

    init(
        mailbox: IMAPMailbox, onNewMail: @escaping @Sendable () -> Void,
        onEvent: @escaping @Sendable (InboxWatchEvent) -> Void
    ) {
        self.mailbox = mailbox
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { fds = [-1, -1] }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        let started = Task { [self] in await self.loop(onNewMail: onNewMail, onEvent: onEvent) }
        task.withLock { $0 = started }
    }

    deinit {
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    func stop() async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
        await thread.shutdown()
    }

    private var isStopped: Bool { stopped.load(ordering: .acquiring) }

    private func loop(onNewMail: @escaping @Sendable () -> Void, onEvent: @escaping @Sendable (InboxWatchEvent) -> Void)
        async
    {
        var retry = 1
        while !isStopped {
            do {
                let supported = try await watchOnce(onNewMail: onNewMail, onEvent: onEvent)
                if !supported {
                    onEvent(.unsupported)
                    return
                }
                retry = 1
            } catch {
                if isStopped { return }
                let failure = (error as? TransportError) ?? .temporary(.other, "IMAP IDLE failed: \(error)")
                onEvent(.failed(failure, retrySeconds: retry))
                try? await Task.sleep(for: .seconds(retry))
                retry = min(retry * 2, 60)
            }
        }
    }

    /// One connection's life: false when the server has no IDLE.
    private func watchOnce(
        onNewMail: @escaping @Sendable () -> Void, onEvent: @escaping @Sendable (InboxWatchEvent) -> Void
    ) async throws -> Bool {
        let mailbox = self.mailbox
        let box = self.box
        let connect: @Sendable (String) async throws -> Bool = { bearer in
            try await self.thread.run { () throws -> Bool in
                do throws(IMAPSessionError) {
                    let connection = try mailbox.openConnection(bearer: bearer)
                    box.connection = connection
                    return connection.capabilities.contains("IDLE")
                } catch {
                    throw error.transport
                }
            }
        }
        let supported: Bool
        if mailbox.settings.auth.usesToken {
            guard let tokens = mailbox.tokens else {
                throw TransportError.permanent(
                    .authentication,
                    "IMAP login with \(mailbox.settings.auth.rawValue) needs an access token, and none is configured")
            }
            supported = try await tokens.withToken { token in try await connect(token) }
        } else {
            supported = try await connect("")
        }
        let reissue = mailbox.idleReissueSeconds
        let wake = wakeRead
        let inbox = mailbox.inboxFolder
        return try await thread.run { () throws -> Bool in
            guard let connection = box.connection else { return true }
            defer {
                connection.logout()
                self.commandLog.withLock { $0 = connection.commandLog }
                box.connection = nil
            }
            guard supported else { return false }
            do throws(IMAPSessionError) {
                try connection.command([.raw("EXAMINE"), IMAPMailbox.mailboxArgument(inbox)], doing: "EXAMINE \(inbox)")
                onNewMail()
                onEvent(.watching(reissueSeconds: reissue))
                while !self.isStopped {
                    self.idleCount.add(1, ordering: .relaxed)
                    let end = try connection.idle(untilMilliseconds: reissue * 1000, interruptFD: wake) { item in
                        if case .exists = item { onNewMail() }
                    }
                    if end == .interrupted { break }
                }
            } catch {
                throw error.transport
            }
            return true
        }
    }
}
