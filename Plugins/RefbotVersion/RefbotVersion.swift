import Foundation
import PackagePlugin

/// Generates `RefbotVersion.swift` (`let refbotVersion = "0.2.0"`) from the VERSION file at the
/// root of the package, the one place the version is kept: `refbot --version` and
/// `scripts/package` both read it. Runs again whenever VERSION changes.
@main
struct RefbotVersion: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let version = context.package.directoryURL.appending(path: "VERSION")
        let output = context.pluginWorkDirectoryURL.appending(path: "RefbotVersion.swift")
        let script = """
            v=$(tr -d '[:space:]' < "$0") || exit 1
            case "$v" in
              ''|*[!0-9A-Za-z.+~-]*) echo "$0: a version such as 1.2.3 (digits, letters, . + ~ -), not '$v'" >&2; exit 1;;
            esac
            printf '/// The version in the VERSION file at the root of the package.\\nlet refbotVersion = "%s"\\n' "$v" > "$1"
            """
        return [
            .buildCommand(
                displayName: "Generating RefbotVersion.swift from VERSION",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, version.path, output.path],
                inputFiles: [version],
                outputFiles: [output])
        ]
    }
}
