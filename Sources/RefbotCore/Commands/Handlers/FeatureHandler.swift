/// `FEATURE L-n [days]` (admin): a live listing shows first in search results for `days` days
/// (7 when not given), from now; the admin gets `command.done`.
public struct FeatureHandler: CommandHandler {
    public let word = CommandWord.feature

    /// Days featured when the command gives none.
    public static let defaultDays = 7
    /// The most days one FEATURE gives.
    public static let maxDays = 365

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try ListingTarget.requireAdmin(command, context: context)
        let target = try ListingTarget.resolve(command, context: context, ledger: ledger)
        var days = Self.defaultDays
        if let word = target.rest.split(whereSeparator: \.isWhitespace).first {
            guard let number = Int(word), (1...Self.maxDays).contains(number) else {
                throw CommandError(
                    line: command.line,
                    problem: "\"\(word.prefix(20))\" is not a number of days from 1 to \(Self.maxDays).",
                    remedy: "Write it like: FEATURE \(target.id) 14, or leave the days out for \(Self.defaultDays).")
            }
            days = number
        }
        var listing = target.listing
        do {
            listing.state = try listing.state.after(.feature)
        } catch {
            throw error.commandError(ref: target.id, line: command.line)
        }
        listing.featuredUntil = context.now + Int64(days) * NetworkSettings.secondsPerDay
        listing.updatedAt = context.now
        try ledger.save(&listing)
        return [
            ListingTarget.done(
                command, context: context, ref: target.id,
                summary: "\(target.id) \"\(listing.title)\" is featured for \(days) day\(days == 1 ? "" : "s").",
                detail: "It shows first in search results until \(ListingDates.day(listing.featuredUntil ?? 0)) (UTC).")
        ]
    }
}
