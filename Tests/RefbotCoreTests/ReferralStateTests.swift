import RefbotCore
import Testing

/// What one (state, move) pair must give.
private enum Outcome: Sendable {
    case moves(ReferralState)
    case refused(problem: String, remedy: String)
}

private let ref = ReferralID(12)

private enum Remedy {
    static let ownerPending = "Reply ACCEPT or REJECT to move it on."
    static let ownerAccepted = "Reply CONTACTED, WON or LOST to move it on."
    static let ownerContacted = "Reply WON or LOST to move it on."
    static let ownerWon = "Reply PAID to move it on."
    static let ownerLost = "Nothing more is needed unless you owe a reward for it; then reply PAID once you have paid it."
    static let waitsOnReferrer = "It now waits on the member who sent it, who can reply RECEIVED or DISPUTE."
    static let finished = "Nothing more can be done with R-12."
    static let waitsOnOwnerToAnswer = "It now waits on the listing's owner, who can reply ACCEPT or REJECT."
    static let waitsOnOwnerAccepted = "It now waits on the listing's owner, who can reply CONTACTED, WON or LOST."
    static let waitsOnOwnerContacted = "It now waits on the listing's owner, who can reply WON or LOST."
    static let waitsOnOwnerToPay = "It now waits on the listing's owner, who can reply PAID."
    static let referrerWonOrPaid = "Reply RECEIVED or DISPUTE to move it on."
    static let referrerLost = "Reply DISPUTE to move it on."
    static let referElsewhere = "You can refer the customer to another listing by replying REFER L-n."
}

/// Every (state, move) pair, with the move made by the role it belongs to.
private let table: [ReferralState: [ReferralMove: Outcome]] = [
    .pending: [
        .accept: .moves(.accepted),
        .reject: .moves(.rejected),
        .expire: .moves(.expired),
        .contacted: .refused(problem: "R-12 is still pending: it has not been accepted yet.", remedy: Remedy.ownerPending),
        .won: .refused(problem: "R-12 is still pending: it has not been accepted yet.", remedy: Remedy.ownerPending),
        .lost: .refused(problem: "R-12 is still pending: it has not been accepted yet.", remedy: Remedy.ownerPending),
        .paid: .refused(problem: "R-12 is still pending: it has not been won yet.", remedy: Remedy.ownerPending),
        .received: .refused(
            problem: "R-12 is still pending: it has not been paid yet.", remedy: Remedy.waitsOnOwnerToAnswer),
        .dispute: .refused(
            problem: "R-12 is still pending: it has not been won yet.", remedy: Remedy.waitsOnOwnerToAnswer),
    ],
    .accepted: [
        .accept: .refused(problem: "R-12 is already accepted.", remedy: Remedy.ownerAccepted),
        .reject: .refused(problem: "R-12 is already accepted.", remedy: Remedy.ownerAccepted),
        .expire: .refused(problem: "R-12 is already accepted.", remedy: Remedy.waitsOnOwnerAccepted),
        .contacted: .moves(.contacted),
        .won: .moves(.won),
        .lost: .moves(.lost),
        .paid: .refused(problem: "R-12 is accepted: it has not been won yet.", remedy: Remedy.ownerAccepted),
        .received: .refused(
            problem: "R-12 is accepted: it has not been paid yet.", remedy: Remedy.waitsOnOwnerAccepted),
        .dispute: .refused(problem: "R-12 is accepted: it has not been won yet.", remedy: Remedy.waitsOnOwnerAccepted),
    ],
    .contacted: [
        .accept: .refused(problem: "R-12 is already marked contacted.", remedy: Remedy.ownerContacted),
        .reject: .refused(problem: "R-12 is already marked contacted.", remedy: Remedy.ownerContacted),
        .expire: .refused(problem: "R-12 is already marked contacted.", remedy: Remedy.waitsOnOwnerContacted),
        .contacted: .refused(problem: "R-12 is already marked contacted.", remedy: Remedy.ownerContacted),
        .won: .moves(.won),
        .lost: .moves(.lost),
        .paid: .refused(problem: "R-12 is marked contacted: it has not been won yet.", remedy: Remedy.ownerContacted),
        .received: .refused(
            problem: "R-12 is marked contacted: it has not been paid yet.", remedy: Remedy.waitsOnOwnerContacted),
        .dispute: .refused(
            problem: "R-12 is marked contacted: it has not been won yet.", remedy: Remedy.waitsOnOwnerContacted),
    ],
    .won: [
        .accept: .refused(problem: "R-12 is already won.", remedy: Remedy.ownerWon),
        .reject: .refused(problem: "R-12 is already won.", remedy: Remedy.ownerWon),
        .expire: .refused(problem: "R-12 is already won.", remedy: Remedy.waitsOnOwnerToPay),
        .contacted: .refused(problem: "R-12 is already won.", remedy: Remedy.ownerWon),
        .won: .refused(problem: "R-12 is already won.", remedy: Remedy.ownerWon),
        .lost: .refused(problem: "R-12 is already won.", remedy: Remedy.ownerWon),
        .paid: .moves(.paid),
        .received: .moves(.closed),
        .dispute: .moves(.won),
    ],
    .lost: [
        .accept: .refused(problem: "R-12 is already lost.", remedy: Remedy.ownerLost),
        .reject: .refused(problem: "R-12 is already lost.", remedy: Remedy.ownerLost),
        .expire: .refused(problem: "R-12 is already lost.", remedy: Remedy.waitsOnOwnerToPay),
        .contacted: .refused(problem: "R-12 is already lost.", remedy: Remedy.ownerLost),
        .won: .refused(problem: "R-12 is already lost.", remedy: Remedy.ownerLost),
        .lost: .refused(problem: "R-12 is already lost.", remedy: Remedy.ownerLost),
        .paid: .moves(.paid),
        .received: .refused(problem: "R-12 is lost: it has not been paid yet.", remedy: Remedy.referrerLost),
        .dispute: .moves(.lost),
    ],
    .paid: [
        .accept: .refused(problem: "R-12 is already paid.", remedy: Remedy.waitsOnReferrer),
        .reject: .refused(problem: "R-12 is already paid.", remedy: Remedy.waitsOnReferrer),
        .expire: .refused(problem: "R-12 is already paid.", remedy: Remedy.waitsOnReferrer),
        .contacted: .refused(problem: "R-12 is already paid.", remedy: Remedy.waitsOnReferrer),
        .won: .refused(problem: "R-12 is already paid.", remedy: Remedy.waitsOnReferrer),
        .lost: .refused(problem: "R-12 is already paid.", remedy: Remedy.waitsOnReferrer),
        .paid: .refused(problem: "R-12 is already paid.", remedy: Remedy.waitsOnReferrer),
        .received: .moves(.closed),
        .dispute: .moves(.paid),
    ],
    .closed: Dictionary(
        uniqueKeysWithValues: ReferralMove.allCases.map {
            ($0, Outcome.refused(problem: "R-12 is already closed.", remedy: Remedy.finished))
        }),
    .rejected: Dictionary(
        uniqueKeysWithValues: ReferralMove.allCases.map {
            ($0, Outcome.refused(
                problem: "R-12 was rejected.",
                remedy: $0.role == .referrer ? Remedy.referElsewhere : Remedy.finished))
        }),
    .expired: Dictionary(
        uniqueKeysWithValues: ReferralMove.allCases.map {
            ($0, Outcome.refused(
                problem: "R-12 has expired.",
                remedy: $0.role == .referrer ? Remedy.referElsewhere : Remedy.finished))
        }),
]

@Suite("Referral state machine")
struct ReferralStateTests {
    @Test("raw values are the spec's state names")
    func rawValues() {
        #expect(ReferralState.allCases.map(\.rawValue) == [
            "pending", "accepted", "contacted", "won", "lost", "paid", "closed", "rejected", "expired",
        ])
    }

    @Test("every move from every state gives the new state or the exact member-facing error",
          arguments: ReferralState.allCases, ReferralMove.allCases)
    func everyPairIsDecided(state: ReferralState, move: ReferralMove) throws {
        let expected = try #require(table[state]?[move], "no expectation for \(state) + \(move)")
        switch expected {
        case .moves(let next):
            #expect(try state.after(move) == next)
            #expect(try state.after(move, by: move.role) == next)
            #expect(state.openMoves.contains(move))
        case .refused(let problem, let remedy):
            #expect(!state.openMoves.contains(move))
            do {
                _ = try state.after(move, by: move.role)
                Issue.record("\(state) + \(move) was allowed")
            } catch {
                #expect(error.from == state)
                #expect(error.attempted == move)
                let commandError = error.commandError(ref: ref, line: move.word)
                #expect(commandError.problem == problem)
                #expect(commandError.remedy == remedy)
                #expect(commandError.line == move.word)
            }
        }
    }

    @Test("the spec's main path runs from pending to closed")
    func mainPath() throws {
        var state = ReferralState.pending
        for move in [ReferralMove.accept, .contacted, .won, .paid, .received] {
            state = try state.after(move)
        }
        #expect(state == .closed)
    }

    @Test("WON and LOST come straight from accepted")
    func wonAndLostFromAccepted() throws {
        #expect(try ReferralState.accepted.after(.won) == .won)
        #expect(try ReferralState.accepted.after(.lost) == .lost)
    }

    @Test("DISPUTE leaves the state as it is where it is open")
    func disputeKeepsState() throws {
        for state in [ReferralState.won, .lost, .paid] {
            #expect(try state.after(.dispute) == state)
        }
    }

    @Test("the owner's ACCEPT sent by the referrer is refused for the role, naming what waits on whom")
    func referrerCannotAccept() {
        #expect(throws: IllegalMove.self) { try ReferralState.pending.after(.accept, by: .referrer) }
        do {
            _ = try ReferralState.pending.after(.accept, by: .referrer)
        } catch {
            #expect(error.reason == .role(required: .owner))
            let text = error.commandError(ref: ref, line: "ACCEPT")
            #expect(text.problem == "Only the owner of the listing can reply ACCEPT to R-12.")
            #expect(text.remedy == "It now waits on the listing's owner, who can reply ACCEPT or REJECT.")
        }
    }

    @Test("the referrer's RECEIVED sent by the owner is refused for the role")
    func ownerCannotConfirmReceipt() {
        do {
            _ = try ReferralState.paid.after(.received, by: .owner)
            Issue.record("owner RECEIVED was allowed")
        } catch {
            let text = error.commandError(ref: ref, line: "RECEIVED")
            #expect(text.problem == "Only the member who sent R-12 can reply RECEIVED to it.")
            #expect(text.remedy == "It now waits on the member who sent it, who can reply RECEIVED or DISPUTE.")
        }
    }

    @Test("open moves per role follow the table")
    func openMovesPerRole() {
        #expect(ReferralState.pending.openMoves(for: .owner) == [.accept, .reject])
        #expect(ReferralState.pending.openMoves(for: .system) == [.expire])
        #expect(ReferralState.accepted.openMoves(for: .owner) == [.contacted, .won, .lost])
        #expect(ReferralState.won.openMoves(for: .referrer) == [.received, .dispute])
        #expect(ReferralState.paid.openMoves(for: .owner).isEmpty)
        for state in [ReferralState.closed, .rejected, .expired] {
            #expect(state.openMoves.isEmpty)
            #expect(state.isFinal)
        }
    }

    @Test("waitsOn names who must act next")
    func waitsOn() {
        #expect(ReferralState.pending.waitsOn == .owner)
        #expect(ReferralState.contacted.waitsOn == .owner)
        #expect(ReferralState.won.waitsOn == .owner)
        #expect(ReferralState.paid.waitsOn == .referrer)
        #expect(ReferralState.lost.waitsOn == nil)
        #expect(ReferralState.closed.waitsOn == nil)
    }

    @Test("moves belong to owner, referrer or the scheduler")
    func roles() {
        #expect(ReferralMove.allCases.filter { $0.role == .owner } == [.accept, .reject, .contacted, .won, .lost, .paid])
        #expect(ReferralMove.allCases.filter { $0.role == .referrer } == [.received, .dispute])
        #expect(ReferralMove.expire.role == .system)
    }
}
