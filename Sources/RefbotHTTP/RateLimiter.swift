import Synchronization

/// A token bucket per client address, in memory: `capacity` requests at once, then one more every
/// `refillSeconds`. Old buckets are dropped when the table grows past `maxClients`.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let capacity: Double
    let refillSeconds: Double
    let maxClients: Int
    private let buckets = Mutex([String: Bucket]())

    public init(capacity: Int = 30, refillSeconds: Double = 2, maxClients: Int = 10_000) {
        self.capacity = Double(max(capacity, 1))
        self.refillSeconds = max(refillSeconds, 0.001)
        self.maxClients = maxClients
    }

    /// Takes one token for `client` at `now` (seconds); false when the bucket is empty.
    public func allow(_ client: String, now: Double) -> Bool {
        buckets.withLock { buckets in
            if buckets.count >= maxClients, buckets[client] == nil {
                // Forget clients whose buckets have refilled: they lose nothing by it.
                buckets = buckets.filter { now - $0.value.updated < capacity * refillSeconds }
                if buckets.count >= maxClients { buckets.removeAll() }
            }
            var bucket = buckets[client] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + max(0, now - bucket.updated) / refillSeconds)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            buckets[client] = bucket
            return allowed
        }
    }
}
