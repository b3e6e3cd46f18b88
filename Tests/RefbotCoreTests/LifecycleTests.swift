import RefbotCore
import Testing

@Suite("Listing and connection lifecycles")
struct LifecycleTests {
    private static let listingTable: [ListingState: [ListingMove: ListingState]] = [
        .pending: [.approve: .live, .decline: .declined, .close: .closed, .expire: .expired],
        .live: [.decline: .declined, .close: .closed, .expire: .expired, .feature: .live],
        .declined: [.approve: .live],
        .closed: [:],
        .expired: [:],
    ]

    @Test("every listing move from every state is allowed exactly as the table says",
          arguments: ListingState.allCases, ListingMove.allCases)
    func listingPairs(state: ListingState, move: ListingMove) {
        let expected = Self.listingTable[state]?[move]
        let actual = try? state.after(move)
        #expect(actual == expected)
    }

    @Test("a new listing is pending, or live with auto-approve")
    func initialState() {
        #expect(ListingState.initial(autoApprove: false) == .pending)
        #expect(ListingState.initial(autoApprove: true) == .live)
    }

    @Test("listing errors name the state and the commands that work")
    func listingErrors() {
        let ref = ListingID(3)
        func error(_ state: ListingState, _ move: ListingMove) -> CommandError? {
            do {
                _ = try state.after(move)
                return nil
            } catch {
                return error.commandError(ref: ref, line: "\(move.word) L-3")
            }
        }
        #expect(error(.live, .approve) == CommandError(
            line: "APPROVE L-3", problem: "L-3 is already live.",
            remedy: "What works now: DECLINE L-3, CLOSE L-3 or FEATURE L-3."))
        #expect(error(.pending, .feature) == CommandError(
            line: "FEATURE L-3", problem: "L-3 is pending, not live, so it cannot be featured.",
            remedy: "What works now: APPROVE L-3, DECLINE L-3 or CLOSE L-3."))
        #expect(error(.closed, .approve) == CommandError(
            line: "APPROVE L-3", problem: "L-3 is closed.",
            remedy: "Nothing more can be done with L-3; its owner can post a new LISTING."))
        #expect(error(.expired, .close) == CommandError(
            line: "CLOSE L-3", problem: "L-3 has expired.",
            remedy: "Nothing more can be done with L-3; its owner can post a new LISTING."))
        #expect(error(.declined, .close) == CommandError(
            line: "CLOSE L-3", problem: "L-3 was declined.", remedy: "What works now: APPROVE L-3."))
        #expect(error(.declined, .decline)?.problem == "L-3 is already declined.")
    }

    @Test("only APPROVE, DECLINE and FEATURE are for admins")
    func adminMoves() {
        #expect(ListingMove.allCases.filter(\.isAdminOnly) == [.approve, .decline, .feature])
    }

    @Test("connections: pending answers ACCEPT or REJECT; a rejected one may be asked again")
    func connectionMoves() throws {
        #expect(try ConnectionState.pending.after(.accept) == .accepted)
        #expect(try ConnectionState.pending.after(.reject) == .rejected)
        #expect(try ConnectionState.rejected.after(.request) == .pending)
        #expect(ConnectionState.accepted.openMoves.isEmpty)
        #expect(ConnectionState.pending.openMoves == [.accept, .reject])
    }

    @Test("connection errors say what already happened and what to do")
    func connectionErrors() {
        let ref = ConnectionID(7)
        do {
            _ = try ConnectionState.accepted.after(.accept)
            Issue.record("accepted twice")
        } catch {
            #expect(error.commandError(ref: ref, line: "ACCEPT") == CommandError(
                line: "ACCEPT", problem: "C-7 is already accepted: you are connected.",
                remedy: "You can send referrals to each other with REFER L-n."))
        }
        do {
            _ = try ConnectionState.pending.after(.request)
            Issue.record("requested twice")
        } catch {
            #expect(error.commandError(ref: ref, line: "CONNECT ann@example.org").problem
                == "C-7 is already waiting for an answer.")
        }
        do {
            _ = try ConnectionState.rejected.after(.accept)
            Issue.record("accepted after rejection")
        } catch {
            #expect(error.commandError(ref: ref, line: "ACCEPT").problem == "C-7 was already rejected.")
        }
    }
}
