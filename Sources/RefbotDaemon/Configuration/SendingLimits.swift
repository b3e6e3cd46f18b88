/// How much mail the SMTP server takes (`smtp.max_per_minute`, `smtp.max_per_day`): recipients in
/// any 60 seconds and in any 24 hours; 0 is no limit. The Sender paces below them, counting the
/// recipients of mail really sent (the outbox's sent times), and answers go before bulk mail.
///
/// ```swift
/// SendingLimits.forProvider("microsoft365")   // 30 a minute, 10 000 a day
/// configuration.sendingLimits                 // what the configuration says
/// ```
public struct SendingLimits: Sendable, Equatable {
    public var perMinute: Int
    public var perDay: Int

    public init(perMinute: Int = 0, perDay: Int = 0) {
        self.perMinute = perMinute
        self.perDay = perDay
    }

    /// No limit: the defaults, for a server of one's own.
    public static let unlimited = SendingLimits()

    public var isUnlimited: Bool { perMinute <= 0 && perDay <= 0 }

    /// The most recipients that may ever go out at once: the smaller limit that is set.
    public var capacity: Int? {
        [perMinute, perDay].filter { $0 > 0 }.min()
    }

    /// The published limits of a provider (``ProviderPreset``'s, which `bot.provider` puts into
    /// `smtp.max_per_minute` / `smtp.max_per_day` where the file does not set them):
    /// - `microsoft365` (Exchange Online): 30 messages a minute, 10 000 recipients a day;
    /// - `google` (Google Workspace): about 2 000 a day; `gmail` (a consumer account): 500 a day;
    /// - anything else (`fastmail`, `own`, …): no limit (set them by hand from the plan's terms).
    public static func forProvider(_ name: String) -> SendingLimits {
        let name = name.lowercased()
        if name == "gmail" { return SendingLimits(perMinute: 0, perDay: 500) }
        guard let preset = ProviderPreset.all[name] else { return .unlimited }
        return SendingLimits(perMinute: preset.maxPerMinute ?? 0, perDay: preset.maxPerDay ?? 0)
    }

    /// How many recipients may go out now, given those sent in the last 60 seconds and the last
    /// 24 hours; nil when there is no limit.
    public func allowance(sentLastMinute: Int, sentLastDay: Int) -> Int? {
        var result: Int?
        if perMinute > 0 { result = max(perMinute - sentLastMinute, 0) }
        if perDay > 0 { result = min(result ?? Int.max, max(perDay - sentLastDay, 0)) }
        return result
    }
}

extension Configuration {
    /// `smtp.max_per_minute` and `smtp.max_per_day`.
    public var sendingLimits: SendingLimits {
        SendingLimits(perMinute: smtp.maxPerMinute, perDay: smtp.maxPerDay)
    }
}
