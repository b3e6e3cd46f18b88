import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reverse proxies whose `X-Forwarded-For` the link server believes (`http.trusted_proxies`).
///
/// Behind a TLS proxy every connection comes from the proxy, so counting clients by the peer
/// address would put everyone in one rate-limit bucket. Only a peer inside one of these networks
/// may say who the client is; from anyone else the header is ignored, since any client can write it.
///
/// ```swift
/// let proxies = try TrustedProxies(["127.0.0.1/32", "::1/128"])
/// proxies.client(peer: "127.0.0.1", forwardedFor: ["203.0.113.7, 127.0.0.1"])   // "203.0.113.7"
/// proxies.client(peer: "198.51.100.9", forwardedFor: ["203.0.113.7"])           // "198.51.100.9"
/// ```
public struct TrustedProxies: Sendable, Equatable {
    /// One network: its address bytes (4 or 16) and prefix length.
    struct Network: Sendable, Equatable {
        var bytes: [UInt8]
        var prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var remaining = prefix
            for index in bytes.indices where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if address[index] & mask != bytes[index] & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    let networks: [Network]

    /// No proxy is trusted: the peer address is the client.
    public init() { networks = [] }

    /// Networks written as CIDRs (`10.0.0.0/8`, `::1/128`) or single addresses.
    /// Throws ``InvalidNetwork`` naming the first entry that is not one.
    public init(_ cidrs: [String]) throws(InvalidNetwork) {
        var networks: [Network] = []
        for entry in cidrs {
            guard let network = TrustedProxies.parse(entry) else { throw InvalidNetwork(entry: entry) }
            networks.append(network)
        }
        self.networks = networks
    }

    /// An entry of `http.trusted_proxies` that is not an address or CIDR.
    public struct InvalidNetwork: Error, Equatable {
        public let entry: String
    }

    /// Whether the list is empty.
    public var isEmpty: Bool { networks.isEmpty }

    /// Whether `address` (textual IPv4 or IPv6) lies in a trusted network.
    public func trusts(_ address: String) -> Bool {
        guard let bytes = TrustedProxies.addressBytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client a request stands for: the peer itself unless it is a trusted proxy; then the
    /// right-most `X-Forwarded-For` address that is not a trusted proxy (each proxy appends the
    /// address it saw, so the entries to the left of the first untrusted one are the client's own
    /// word). A malformed entry ends the walk at that point: it is the client's to write.
    public func client(peer: String, forwardedFor: [String]) -> String {
        guard !networks.isEmpty, trusts(peer) else { return peer }
        let entries = forwardedFor.flatMap { $0.split(separator: ",") }.map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var client = peer
        for entry in entries.reversed() {
            let address = TrustedProxies.stripPort(entry)
            guard TrustedProxies.addressBytes(address) != nil else { return client }
            client = address
            if !trusts(address) { return address }
        }
        return client
    }

    static func parse(_ entry: String) -> Network? {
        let trimmed = entry.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let bytes = addressBytes(String(parts[0])) else { return nil }
        let maximum = bytes.count * 8
        guard parts.count == 2 else { return Network(bytes: bytes, prefix: maximum) }
        guard let prefix = Int(parts[1]), (0...maximum).contains(prefix) else { return nil }
        return Network(bytes: bytes, prefix: prefix)
    }

    /// The bytes of an IPv4 (4) or IPv6 (16) address; an IPv4-mapped IPv6 address counts as IPv4.
    static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return Array(bytes[12...]) }
        return bytes
    }

    /// `[v6]:port` → `v6`, `a.b.c.d:port` → `a.b.c.d`; anything else as it is.
    static func stripPort(_ entry: String) -> String {
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            return String(entry[entry.index(after: entry.startIndex)..<close])
        }
        if entry.filter({ $0 == ":" }).count == 1, let colon = entry.firstIndex(of: ":") {
            return String(entry[..<colon])
        }
        return entry
    }
}
