#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A token bucket per client address, in memory: `capacity` requests at once, then one more every
/// `refillSeconds`. Old buckets are dropped when the table grows past `maxClients`. An IPv6 client
/// counts by its /64 network (see ``bucketKey(_:)``).
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
        let client = RateLimiter.bucketKey(client)
        return buckets.withLock { buckets in
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

    /// The bucket an address counts against: an IPv4 address (also written IPv4-mapped, `::ffff:a.b.c.d`)
    /// by itself, an IPv6 address by its /64. One host usually holds a whole /64, so counting single
    /// IPv6 addresses would let it go round the limit by changing address.
    public static func bucketKey(_ client: String) -> String {
        guard client.contains(":") else { return client }
        var address = in6_addr()
        guard inet_pton(AF_INET6, client, &address) == 1 else { return client }
        let bytes = withUnsafeBytes(of: &address) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":") + "::/64"
    }
}
