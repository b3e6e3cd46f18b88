import Foundation
import Logging
import RefbotCore
import RefbotCurl
import RefbotStore
import GRDB

extension OAuthTokenSource {
    /// The daemon's token source: a refused refresh queues one `oauth.refused` to the admins
    /// (through ``AdminNotices``, so within `mail.admin_notices_per_hour`).
    static func forDaemon(
        _ configuration: Configuration, store: Store, composer: MailComposer, clock: DaemonClock, logger: Logger,
        pool: CurlThreadPool, onRefresh: (@Sendable (Bool) -> Void)? = nil
    ) -> OAuthTokenSource {
        guard !configuration.bot.admins.isEmpty else {
            return OAuthTokenSource(settings: configuration.oauth, pool: pool, logger: logger, onRefresh: onRefresh)
        }
        let settings = configuration.oauth
        let notification = { @Sendable (refusal: OAuthRefusal) in
            Notification(
                event: .oauthRefused, to: configuration.bot.admins,
                values: [
                    "tokenURL": .text(settings.tokenURL), "grant": .text(settings.grant),
                    "reason": .text(String(refusal.description.prefix(300))),
                    "refreshGrant": .flag(settings.grant != "client_credentials"), "tenant": .text(settings.tenant),
                ])
        }
        return OAuthTokenSource(settings: configuration.oauth, pool: pool, logger: logger, onRefresh: onRefresh, onRefusal: { refusal in
            let now = clock.now()
            do {
                let queued = try await store.write { db -> Bool in
                    // one a day across restarts (a crash loop must not mail the admins each time)
                    let recent = try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM adminNotice WHERE event = ? AND createdAt > ?",
                        arguments: [MailEvent.oauthRefused.rawValue, now - refusalNoticeInterval]) ?? 0
                    guard recent == 0 else { return false }
                    return try AdminNotices(configuration: configuration, composer: composer, logger: logger).notify(
                        notification(refusal),
                        summary: "OAuth2 token endpoint refused: \(refusal.description.prefix(150))",
                        unique: "oauth.refused", inboundId: nil, now: now, in: db)
                }
                if queued { logger.notice("oauth.refused queued to the admins", metadata: ["event": "oauth.refused"]) }
            } catch {
                logger.error("Could not queue the oauth.refused notice", metadata: ["error": "\(error)"])
            }
        })
    }

    /// The least time between two `oauth.refused` notices, in seconds, across restarts.
    static let refusalNoticeInterval: Int64 = 86_400
}
