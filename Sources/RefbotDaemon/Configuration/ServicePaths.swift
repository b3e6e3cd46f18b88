import Foundation

/// Where relative paths in the configuration file resolve, the same from a shell as inside the
/// systemd unit.
///
/// | setting | inside the unit | from a shell, config in `/etc/refbot` | config elsewhere |
/// | --- | --- | --- | --- |
/// | `bot.database`, `bot.secret_file` | `$STATE_DIRECTORY` | `/var/lib/refbot` for `refbot.toml`, `/var/lib/refbot/<name>` for `<name>.toml` | the config file's folder |
/// | `imap.password_file`, `smtp.password_file` | `$CREDENTIALS_DIRECTORY` | `/etc/refbot` for `refbot.toml`, `/etc/refbot/<name>` for `<name>.toml` (where the units' `LoadCredential=` read them) | the config file's folder |
///
/// `refbot.service` has `StateDirectory=refbot`; the instance unit `refbot@<name>.service` reads
/// `/etc/refbot/<name>.toml` with `StateDirectory=refbot/<name>`, so an admin command given either
/// file finds the database its service uses. Absolute paths are used as written.
public struct ServicePaths: Sendable, Equatable {
    /// Where relative `bot.database` and `bot.secret_file` resolve; nil leaves them as written.
    public var stateDirectory: String?
    /// Where a relative `*.password_file` resolves; nil leaves it as written.
    public var credentialsDirectory: String?
    /// How ``stateDirectory`` was chosen, for `check-config` and error messages.
    public var stateDirectoryReason = ""
    /// The configuration file's folder, where a relative `compliance.rules_file` resolves; nil leaves it as written.
    public var configurationFolder: String?

    /// The folder of the service's own configuration files.
    public static let configurationDirectory = "/etc/refbot"
    /// The state directory systemd gives `refbot.service` (`StateDirectory=refbot`).
    public static let serviceStateDirectory = "/var/lib/refbot"

    public init(stateDirectory: String? = nil, credentialsDirectory: String? = nil, stateDirectoryReason: String = "") {
        self.stateDirectory = stateDirectory
        self.credentialsDirectory = credentialsDirectory
        self.stateDirectoryReason = stateDirectoryReason
    }

    /// The folders for the configuration file at `configFile` (nil: text without a file, where
    /// only the environment counts).
    public init(configFile: String?, environment: [String: String]) {
        var folder: String?
        var instance: String?
        if let configFile {
            let absolute =
                configFile.hasPrefix("/")
                ? configFile : FileManager.default.currentDirectoryPath + "/" + configFile
            let url = URL(fileURLWithPath: absolute).standardizedFileURL
            folder = url.deletingLastPathComponent().path
            configurationFolder = folder
            if folder == Self.configurationDirectory {
                let name = url.deletingPathExtension().lastPathComponent
                instance = name
            }
        }
        // systemd separates several directories with colons; refbot's units give one.
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first.map(String.init), !state.isEmpty {
            stateDirectory = state
            stateDirectoryReason = "$STATE_DIRECTORY"
        } else if let instance {
            if instance == "refbot" {
                stateDirectory = Self.serviceStateDirectory
                stateDirectoryReason = "the state directory of refbot.service"
            } else {
                stateDirectory = Self.serviceStateDirectory + "/" + instance
                stateDirectoryReason = "the state directory of refbot@\(instance).service"
            }
        } else if let folder {
            stateDirectory = folder
            stateDirectoryReason = "the configuration file's folder"
        }
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty {
            credentialsDirectory = credentials
        } else if let instance, instance != "refbot", let folder {
            // refbot@NAME.service loads its credentials from /etc/refbot/NAME/
            credentialsDirectory = folder + "/" + instance
        } else {
            credentialsDirectory = folder
        }
    }

    /// `path` under the state directory when it is relative.
    public func state(_ path: String) -> String { Self.resolve(path, in: stateDirectory) }

    /// `path` under the credentials directory when it is relative.
    public func credential(_ path: String) -> String { Self.resolve(path, in: credentialsDirectory) }

    private static func resolve(_ path: String, in directory: String?) -> String {
        guard !path.isEmpty, !path.hasPrefix("/"), let directory else { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }

    /// `path` beside the configuration file when it is relative (`compliance.rules_file`).
    public func configuration(_ path: String) -> String { Self.resolve(path, in: configurationFolder) }
}
