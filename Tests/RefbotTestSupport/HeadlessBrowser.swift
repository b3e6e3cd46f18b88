import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol, for tests that click like a person does.
///
/// The browser runs with `--remote-debugging-pipe`: it reads JSON commands from descriptor 3 and
/// writes replies and events to descriptor 4, each message ended by a NUL byte. No WebSocket and no
/// port are needed, and nothing but the pages the test opens is fetched.
///
/// ```swift
/// let browser = try HeadlessBrowser.launch()
/// let page = try await browser.newPage()
/// let status = try await page.navigate(to: url)
/// try await page.screenshot(to: path)
/// try await page.click("button[type=submit]")
/// let text = try await page.text()
/// await browser.close()
/// ```
public final class HeadlessBrowser: @unchecked Sendable {
    private let pid: pid_t
    private let commands: Int32
    private let replies: Int32
    private let profile: String
    public let logPath: String
    private let state = Locked(State())

    private struct State {
        var nextID = 1
        var replies: [Int: [String: Any]] = [:]
        var events: [(method: String, session: String?, params: [String: Any])] = []
        var closed = false
    }

    /// The Chromium executable: `$REFBOT_CHROMIUM`, or `chromium` / `chromium-browser` / `google-chrome` on the PATH.
    public static var executable: String? {
        if let path = ProcessInfo.processInfo.environment["REFBOT_CHROMIUM"] { return path }
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init)
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in folders + ["/usr/bin"] where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
                return folder + "/" + name
            }
        }
        return nil
    }

    private init(pid: pid_t, commands: Int32, replies: Int32, profile: String, logPath: String) {
        self.pid = pid
        self.commands = commands
        self.replies = replies
        self.profile = profile
        self.logPath = logPath
    }

    /// Starts a headless browser with a fresh profile and a `width`×`height` window.
    public static func launch(width: Int = 900, height: Int = 900) throws -> HeadlessBrowser {
        guard let executable else {
            throw HeadlessBrowserError("Chromium is not installed (apt-get install chromium, or set REFBOT_CHROMIUM)")
        }
        let profile = NSTemporaryDirectory() + "/refbot-chromium-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        let logPath = profile + ".log"
        let arguments = [
            executable, "--headless", "--remote-debugging-pipe", "--user-data-dir=\(profile)",
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--window-size=\(width),\(height)", "--no-first-run", "--no-default-browser-check",
            // Nothing beyond the pages under test: no updates, sync, safe browsing or metrics.
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-pings",
            "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider",
            "--metrics-recording-only", "--safebrowsing-disable-auto-update", "about:blank",
        ]

        // Descriptor 3 in the child reads our commands; descriptor 4 carries its replies to us.
        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else {
            throw HeadlessBrowserError("pipe: \(String(cString: strerror(errno)))")
        }
        // Only the duplicates on 3 and 4 may reach the browser.
        for fd in toBrowser + fromBrowser { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        _ = Glibc.close(toBrowser[0])
        _ = Glibc.close(fromBrowser[1])
        guard result == 0 else {
            _ = Glibc.close(toBrowser[1])
            _ = Glibc.close(fromBrowser[0])
            throw HeadlessBrowserError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        let browser = HeadlessBrowser(pid: pid, commands: toBrowser[1], replies: fromBrowser[0], profile: profile, logPath: logPath)
        browser.startReading()
        return browser
    }

    /// Reads NUL-separated messages on a thread of its own until the pipe closes.
    private func startReading() {
        let thread = Thread { [self] in
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(replies, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                while let end = pending.firstIndex(of: 0) {
                    let message = Array(pending[..<end])
                    pending.removeSubrange(...end)
                    handle(message)
                }
            }
            state.withLock { $0.closed = true }
        }
        thread.start()
    }

    private func handle(_ message: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(message)) as? [String: Any] else { return }
        state.withLock { state in
            if let id = object["id"] as? Int {
                state.replies[id] = object
            } else if let method = object["method"] as? String {
                state.events.append((method, object["sessionId"] as? String, object["params"] as? [String: Any] ?? [:]))
            }
        }
    }

    /// Sends one command and waits for its reply; a protocol error is thrown with its message.
    @discardableResult
    public func send(_ method: String, _ params: [String: Any] = [:], session: String? = nil,
                     timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw HeadlessBrowserError("the browser closed its pipe (see \(logPath))") }
            written += n
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (reply, closed) = state.withLock { state in (state.replies.removeValue(forKey: id), state.closed) }
            if let reply {
                if let error = reply["error"] as? [String: Any] {
                    throw HeadlessBrowserError("\(method): \(error["message"] as? String ?? "\(error)")")
                }
                return reply["result"] as? [String: Any] ?? [:]
            }
            if closed { throw HeadlessBrowserError("the browser exited during \(method) (see \(logPath))") }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HeadlessBrowserError("no reply to \(method) within \(timeout)")
    }

    /// Waits for an event of `method` (for `session`), removing it and every event before it.
    func waitForEvent(_ method: String, session: String?, timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = state.withLock { state -> [String: Any]? in
                guard let index = state.events.firstIndex(where: { $0.method == method && $0.session == session }) else { return nil }
                let params = state.events[index].params
                state.events.removeSubrange(...index)
                return params
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HeadlessBrowserError("no \(method) within \(timeout)")
    }

    /// Forgets the events seen so far for `session`.
    func dropEvents(session: String?) {
        state.withLock { $0.events.removeAll { $0.session == session } }
    }

    /// Opens a new tab on about:blank.
    public func newPage() async throws -> BrowserPage {
        let target = try await send("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String else { throw HeadlessBrowserError("no targetId") }
        let attached = try await send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw HeadlessBrowserError("no sessionId") }
        let page = BrowserPage(browser: self, session: session)
        try await send("Page.enable", session: session)
        try await send("Network.enable", session: session)
        try await send("Runtime.enable", session: session)
        return page
    }

    /// Closes the browser (politely, then by force) and removes its profile.
    public func close() async {
        _ = try? await send("Browser.close", timeout: .seconds(5))
        var status: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        _ = Glibc.close(commands)
        _ = Glibc.close(replies)
        try? FileManager.default.removeItem(atPath: profile)
        try? FileManager.default.removeItem(atPath: logPath)
    }
}

/// One tab of a ``HeadlessBrowser``.
public struct BrowserPage: Sendable {
    let browser: HeadlessBrowser
    let session: String

    /// Loads `url` and waits for its load event; returns the HTTP status of the document.
    @discardableResult
    public func navigate(to url: String) async throws -> Int {
        browser.dropEvents(session: session)
        try await browser.send("Page.navigate", ["url": url], session: session)
        return try await documentLoaded()
    }

    /// Waits for the next document's load event and returns its HTTP status.
    private func documentLoaded() async throws -> Int {
        let response = try await browser.waitForEvent("Network.responseReceived", session: session)
        _ = try await browser.waitForEvent("Page.loadEventFired", session: session)
        return Self.number((response["response"] as? [String: Any])?["status"]).map { Int($0) } ?? 0
    }

    /// Evaluates JavaScript in the page and returns its value (strings, numbers, booleans, arrays).
    public func evaluate(_ expression: String) async throws -> Any? {
        let result = try await browser.send(
            "Runtime.evaluate", ["expression": expression, "returnByValue": true], session: session)
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw HeadlessBrowserError("JavaScript error: \(exception["text"] as? String ?? "\(exception)")")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// The page's visible text.
    public func text() async throws -> String {
        try await evaluate("document.body.innerText") as? String ?? ""
    }

    /// Saves a PNG of the whole page to `path`.
    public func screenshot(to path: String) async throws {
        let result = try await browser.send(
            "Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true], session: session)
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw HeadlessBrowserError("no screenshot data")
        }
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Types `text` into the element matching `selector`, as keystrokes would.
    public func type(_ text: String, into selector: String) async throws {
        _ = try await evaluate("document.querySelector(\(Self.quoted(selector))).focus()")
        try await browser.send("Input.insertText", ["text": text], session: session)
    }

    /// Clicks the middle of the element matching `selector` with the mouse, as a person would, and
    /// waits for the page the click leads to. Returns that page's HTTP status.
    @discardableResult
    public func click(_ selector: String) async throws -> Int {
        let box = try await evaluate("""
            (() => { const e = document.querySelector(\(Self.quoted(selector))); if (!e) return null;
              e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();
              return [r.left + r.width / 2, r.top + r.height / 2]; })()
            """) as? [Any]
        guard let box, box.count == 2, let x = Self.number(box[0]), let y = Self.number(box[1])
        else { throw HeadlessBrowserError("nothing on the page matches \(selector)") }
        browser.dropEvents(session: session)
        for type in ["mouseMoved", "mousePressed", "mouseReleased"] {
            try await browser.send("Input.dispatchMouseEvent", [
                "type": type, "x": x, "y": y, "button": "left", "clickCount": type == "mouseMoved" ? 0 : 1,
            ], session: session)
        }
        return try await documentLoaded()
    }

    static func number(_ value: Any?) -> Double? {
        if let number = value as? NSNumber { return number.doubleValue }
        return (value as? Double) ?? (value as? Int).map(Double.init)
    }

    static func quoted(_ string: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [string])
        let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }
}

/// Something went wrong starting or driving the browser.
public struct HeadlessBrowserError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A value behind a lock, for state shared with the reading thread.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
