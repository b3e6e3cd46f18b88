import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotStore

/// The member changes of `refbot admin member`: suspend, resume, change of address, reset of
/// bounces. Each change, its ``LedgerHistory`` row and the mail it causes are written in one
/// transaction; a refusal (``MemberAdmin/Refusal``) writes nothing.
///
/// ```swift
/// let desk = MemberAdminDesk(configuration: configuration, composer: composer, logger: logger)
/// let member = try await desk.suspend(email: "ann@example.org", reason: "spam", actor: "admin@example.org", now: now, store: store)
/// ```
public struct MemberAdminDesk: Sendable {
    let configuration: Configuration
    let composer: MailComposer
    let logger: Logger

    public init(configuration: Configuration, composer: MailComposer, logger: Logger) {
        self.configuration = configuration
        self.composer = composer
        self.logger = logger
    }

    /// Suspends the member and tells them (`member.suspended`).
    public func suspend(email: String, reason: String?, actor: String, now: Int64, store: Store) async throws -> Member {
        let member = try await store.write { db in
            let member = try MemberAdmin.suspend(email: email, reason: reason, actor: actor, now: now, in: db)
            try self.enqueue(
                Notification(event: .memberSuspended, to: [member.email], values: self.values(for: member)),
                unique: "suspend.m\(member.id ?? 0)", now: now, in: db)
            return member
        }
        logger.notice(
            "Member suspended",
            metadata: ["member.email": "\(member.email)", "actor": "\(actor)", "reason": "\(reason ?? "-")"])
        return member
    }

    /// Lifts the member's suspension and tells them (`member.resumed`).
    public func resume(email: String, actor: String, now: Int64, store: Store) async throws -> Member {
        let member = try await store.write { db in
            let member = try MemberAdmin.resume(email: email, actor: actor, now: now, in: db)
            try self.enqueue(
                Notification(event: .memberResumed, to: [member.email], values: self.values(for: member)),
                unique: "resume.m\(member.id ?? 0)", now: now, in: db)
            return member
        }
        logger.notice("Member resumed", metadata: ["member.email": "\(member.email)", "actor": "\(actor)"])
        return member
    }

    /// Moves the member to `newAddress` and mails both addresses: `member.address.changed` to the
    /// old one, `member.address.welcome` to the new one.
    public func changeAddress(
        email: String, to newAddress: String, actor: String, now: Int64, store: Store
    ) async throws -> (before: Member, after: Member) {
        let change = try await store.write { db in
            let change = try MemberAdmin.changeAddress(email: email, to: newAddress, actor: actor, now: now, in: db)
            var values = self.values(for: change.after)
            values["oldAddress"] = .text(change.before.email)
            values["newAddress"] = .text(change.after.email)
            values["credits"] = .number(Int64(change.after.credits))
            values["creditsNoun"] = .text(change.after.credits == 1 ? "credit" : "credits")
            let id = change.after.id ?? 0
            try self.enqueue(
                Notification(event: .memberAddressChanged, to: [change.before.email], values: values),
                unique: "address.old.m\(id)", now: now, in: db)
            try self.enqueue(
                Notification(event: .memberAddressWelcome, to: [change.after.email], values: values),
                unique: "address.new.m\(id)", now: now, in: db)
            return change
        }
        logger.notice(
            "Member address changed",
            metadata: [
                "member.id": "\(change.after.id ?? 0)", "member.email": "\(change.after.email)",
                "member.old_email": "\(change.before.email)", "actor": "\(actor)",
            ])
        return change
    }

    /// Clears the member's bounces, probe and stop (as `refbot admin members --reset-bounces`) and
    /// records it. Returns the member as they were before.
    public func resetBounces(email: String, actor: String, now: Int64, store: Store) async throws -> Member {
        let before = try await store.write { db -> Member in
            guard let before = try BounceProbe.reset(email: email, now: now, in: db) else {
                throw MemberAdmin.Refusal(
                    "No member has the address \(Member.normalizedEmail(email)). Run `refbot admin members` to see the members.")
            }
            try MemberAdmin.recordBounceReset(before, actor: actor, now: now, in: db)
            return before
        }
        logger.notice(
            "Bounces cleared",
            metadata: ["member.email": "\(before.email)", "bounce.count": "\(before.bounceCount)", "reason": "admin", "actor": "\(actor)"])
        return before
    }

    private func values(for member: Member) -> [String: TemplateValue] {
        [
            "name": .text(member.name), "email": .text(member.email),
            "admins": .text(configuration.bot.admins.isEmpty ? configuration.bot.address : configuration.bot.admins.joined(separator: ", ")),
        ]
    }

    private func enqueue(_ notification: Notification, unique: String, now: Int64, in db: Database) throws {
        try Processor.enqueue(
            notification, composer: composer, configuration: configuration, unique: "admin.\(unique)", inboundId: nil, now: now,
            logger: logger, in: db)
    }
}
