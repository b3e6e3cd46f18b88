import ArgumentParser

/// `refbot admin`: tools for the people who run the network.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and manage the network: listings, the outbox, statistics, backups.",
        discussion: "Each command works on the database named in the configuration, beside a running daemon.",
        subcommands: [Outbox.self, Stats.self, Backup.self, Listings.self, Approve.self, Decline.self, Feature.self,
                      Members.self, Grant.self, Announce.self, Erase.self,
                      Migrations.self, Restore.self]
    )
}
