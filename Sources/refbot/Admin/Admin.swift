import ArgumentParser

/// `refbot admin`: tools for the people who run the network.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Inspect and manage the network: listings, the outbox, statistics, backups.",
        discussion: """
            Each command works on the database named in the configuration, beside a running daemon. \
            --config goes before the command's name or after it (refbot admin --config FILE stats, \
            refbot admin stats --config FILE); given twice, the command's own wins. Admin commands \
            never read the mail passwords, and never create a database: a missing one is an error \
            naming the path looked for.
            """,
        subcommands: [Outbox.self, Stats.self, Backup.self, Listings.self, Approve.self, Decline.self, Feature.self,
                      Members.self, Grant.self, Announce.self, Erase.self,
                      OneMember.self, Referrals.self, OneReferral.self, Quarantine.self, Migrations.self, Restore.self,
                      Payouts.self, Export.self, Compliance.self, Activity.self, Webhooks.self]
    )

    /// `--config` before the command's name; the commands read it through ``ConfigOptions/config``.
    @OptionGroup var options: ConfigOptions

    /// Runs before the command's own arguments are read: hands `--config` down to it.
    func validate() throws {
        ConfigOptions.handDown(options.file)
    }
}
