import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP relay on 127.0.0.1 that passes bytes both ways to a server on loopback and can drop
/// connections in the middle of an answer: the first `connectionsToCut` connections on which the
/// server sends more than `cutAfterServerBytes` bytes are cut (reset, both sides) at that point;
/// connections that stay below it (a login check) are left alone. It only counts bytes, so
/// it works the same under TLS: with answers larger than the login and listing, the cut falls
/// inside a fetch.
///
/// ```swift
/// let proxy = try TCPFaultProxy(targetPort: stack.imapsPort, cutAfterServerBytes: 100_000, connectionsToCut: 2)
/// defer { proxy.stop() }
/// // point the client at 127.0.0.1:\(proxy.port) …
/// #expect(proxy.cuts == 2)
/// ```
public final class TCPFaultProxy: Sendable {
    /// The port clients connect to.
    public let port: Int
    private let targetPort: Int
    private let cutAfter: Int
    private let listener: Int32
    private let state: Mutex<State>

    private struct State {
        var connections = 0
        var cuts = 0
        var toCut: Int
        var open: Set<Int32> = []
        var serverBytes: [Int] = []
        var stopped = false
    }

    /// Listens on a free loopback port and relays each connection to `targetPort`.
    public init(targetPort: Int, cutAfterServerBytes: Int, connectionsToCut: Int) throws {
        self.targetPort = targetPort
        cutAfter = cutAfterServerBytes
        state = Mutex(State(toCut: connectionsToCut))
        (listener, port) = try LoopbackSocket.listen()
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Connections accepted so far.
    public var connections: Int { state.withLock { $0.connections } }
    /// Connections cut so far.
    public var cuts: Int { state.withLock { $0.cuts } }
    /// The bytes the server sent on each finished connection, in the order they ended.
    public var serverBytes: [Int] { state.withLock { $0.serverBytes } }

    /// Stops listening and closes every relayed connection. Safe to call more than once.
    public func stop() {
        let open = state.withLock { state -> Set<Int32>? in
            guard !state.stopped else { return nil }
            state.stopped = true
            return state.open
        }
        guard let open else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    deinit {
        stop()
        close(listener)
    }

    // MARK: - Relaying

    private func acceptLoop() {
        LoopbackSocket.relay(from: listener, to: targetPort) { client, server in
            state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.connections += 1
                state.open.formUnion([client, server])
                return true
            }
        } start: { client, server in
            Thread { [self] in pump(from: client, to: server, limit: nil) }.start()
            Thread { [self] in pump(from: server, to: client, limit: cutAfter) }.start()
        }
    }

    /// Copies bytes until either side closes; with a limit, resets both sides after that many
    /// bytes while cuts remain to be made.
    private func pump(from source: Int32, to destination: Int32, limit: Int?) {
        let fromServer = limit != nil
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var passed = 0
        var limit = limit
        while true {
            var wanted = buffer.count
            if let limit { wanted = min(wanted, limit - passed) }
            if wanted == 0 {
                let cut = state.withLock { state -> Bool in
                    guard state.toCut > 0 else { return false }
                    state.toCut -= 1
                    state.cuts += 1
                    return true
                }
                if !cut {
                    limit = nil
                    continue
                }
                reset(source)
                reset(destination)
                break
            }
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, wanted) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            var sent = 0
            while sent < count {
                let written = buffer.withUnsafeBytes { send(destination, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { break }
                sent += written
            }
            guard sent == count else { break }
            passed += count
        }
        if fromServer { state.withLock { $0.serverBytes.append(passed) } }
        // One side is done: end the other direction too, then release the descriptor once.
        shutdown(destination, Int32(SHUT_RDWR))
        shutdown(source, Int32(SHUT_RDWR))
        let last = state.withLock { state -> Bool in
            // The second pump of a pair to finish closes both descriptors.
            if state.open.contains(source) || state.open.contains(destination) {
                state.open.remove(source)
                state.open.remove(destination)
                return false
            }
            return true
        }
        if last {
            close(source)
            close(destination)
        }
    }

    /// Aborts a connection with a reset (SO_LINGER 0), as a dropped link or a killed server does.
    private func reset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        shutdown(fd, Int32(SHUT_RDWR))
    }

}
