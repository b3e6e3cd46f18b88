import ArgumentParser
import Foundation
import RefbotCurl
import RefbotDaemon

/// `refbot auth`: OAuth2 sign-in for the bot's mailbox.
struct Auth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Sign the bot's mailbox in with OAuth2 (Microsoft 365, Google).",
        subcommands: [Login.self])

    /// `refbot auth login`
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "login",
            abstract: "Get the first OAuth2 refresh token and write it to oauth.refresh_token_file.",
            discussion: """
                Run it once, as the user refbot runs as, after setting up [oauth] (or bot.provider) in the \
                configuration. It prints a page to open in any browser, on any machine:

                  device   (Microsoft 365, and whenever oauth.device_code_url is set) shows a code to \
                type on that page; refbot waits until you have signed in.
                  pkce     (Google) shows a sign-in address; after you allow access the browser goes to \
                --redirect-uri on 127.0.0.1, which does not load: paste that address back here.

                The refresh token is written with mode 0600; refbot keeps it up to date from then on. \
                Run it again whenever refbot mails the admins that the sign-in was refused.
                """)

        @OptionGroup var options: ConfigOptions

        enum Flow: String, ExpressibleByArgument, CaseIterable {
            case device, pkce
        }

        @Option(help: "The sign-in flow: device or pkce (default: device when oauth.device_code_url is set, else pkce).")
        var flow: Flow?

        @Option(help: "Where the browser is sent after consent (pkce); must be registered with the client where the provider asks for it.")
        var redirectURI = "http://127.0.0.1:8976/"

        func validate() throws {
            guard redirectURI.hasPrefix("http://127.0.0.1") || redirectURI.hasPrefix("http://localhost")
                || redirectURI.hasPrefix("http://[::1]")
            else {
                throw ValidationError("--redirect-uri must be a loopback address such as http://127.0.0.1:8976/")
            }
        }

        func run() async throws {
            let configuration = try options.load()
            let oauth = configuration.oauth
            var missing: [String] = []
            if oauth.grant != "refresh_token" {
                printError("error: oauth.grant is \"\(oauth.grant)\": the client-credentials grant needs no sign-in; refbot gets its tokens with the client secret")
                throw ExitCode(64)
            }
            if oauth.tokenURL.isEmpty { missing.append("oauth.token_url (or bot.provider)") }
            if oauth.clientID.isEmpty { missing.append("oauth.client_id") }
            if oauth.refreshTokenFile.isEmpty { missing.append("oauth.refresh_token_file") }
            if !missing.isEmpty {
                printError("error: set \(missing.joined(separator: ", ")) in \(options.config) first")
                throw ExitCode(78)
            }
            let chosen = flow ?? (oauth.deviceCodeURL.isEmpty ? .pkce : .device)
            let pool = CurlThreadPool(threads: 1)
            let login = OAuthLogin(
                settings: oauth, pool: pool,
                say: { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) },
                readLine: { Swift.readLine(strippingNewline: true) })
            do {
                switch chosen {
                case .device: _ = try await login.deviceCode()
                case .pkce: _ = try await login.pkce(redirectURI: redirectURI)
                }
            } catch {
                await pool.shutdown()
                printError("error: \(error)")
                throw ExitCode(1)
            }
            await pool.shutdown()
            print("Done. Start refbot (or restart it) to use the new token.")
        }
    }
}
