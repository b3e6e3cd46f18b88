import Foundation

extension LinkSite {
    /// `GET /healthz`: 200 with the last good poll and the outbox depth, 503 when polling is failing.
    public func healthz() async -> WebResponse {
        let report = await actions.health()
        let lastPoll = report.lastGoodPoll.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval($0))) } ?? "never"
        let age = report.lastGoodPoll.map { "\(max(0, report.now - $0))" } ?? "-"
        let body = """
            status: \(report.healthy ? "ok" : "failing")
            last_good_poll: \(lastPoll)
            poll_age_seconds: \(age)
            outbox_depth: \(report.outboxDepth)

            """
        return WebResponse(
            status: report.healthy ? 200 : 503, contentType: "text/plain; charset=utf-8", body: body,
            headers: ["Cache-Control": "no-store"])
    }

    /// `GET /healthz` on the public listener: the same, under the per-client rate limit.
    public func healthz(client: String) async -> WebResponse {
        guard limiter.allow(client, now: clock()) else { return errorPage(LinkPageError.rateLimited) }
        return await healthz()
    }

    /// `GET /metrics`: Prometheus text exposition.
    public func metrics() async -> WebResponse {
        WebResponse(
            status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: await actions.metrics(),
            headers: ["Cache-Control": "no-store"])
    }
}
