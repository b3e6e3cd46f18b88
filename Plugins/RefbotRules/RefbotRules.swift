import Foundation
import PackagePlugin

/// Generates `ShippedComplianceRules.swift` (`let shippedComplianceRules = "…"`) from
/// `rules/compliance.toml`, so the shipped compliance rules are built into refbot and it runs
/// without the file installed. Runs again whenever the file changes.
@main
struct RefbotRules: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let rules = context.package.directoryURL.appending(path: "rules/compliance.toml")
        let output = context.pluginWorkDirectoryURL.appending(path: "ShippedComplianceRules.swift")
        let script = """
            if grep -q '\"\"\"####' "$0"; then echo "$0: the text must not contain \\"\\"\\"####" >&2; exit 1; fi
            { printf '/// The text of rules/compliance.toml, the shipped compliance rules.\\nlet shippedComplianceRules = ####\"\"\"\\n'
              cat "$0"
              printf '\\n\"\"\"####\\n'; } > "$1"
            """
        return [
            .buildCommand(
                displayName: "Generating ShippedComplianceRules.swift from rules/compliance.toml",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, rules.path, output.path],
                inputFiles: [rules],
                outputFiles: [output])
        ]
    }
}
