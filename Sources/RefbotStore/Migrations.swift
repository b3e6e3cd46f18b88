import GRDB

/// The schema, as frozen SQL. A shipped migration is never edited: a change is a new migration.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: queues") { db in
            try db.execute(
                sql: """
                    CREATE TABLE inboundMessage (
                      id INTEGER PRIMARY KEY,
                      uidValidity INTEGER NOT NULL CHECK (uidValidity >= 0),
                      uid INTEGER NOT NULL CHECK (uid > 0),
                      messageId TEXT,
                      raw BLOB NOT NULL,
                      state TEXT NOT NULL DEFAULT 'received'
                        CHECK (state IN ('received','done','ignored','quarantined')),
                      attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                      lastError TEXT,
                      disposition TEXT,
                      receivedAt INTEGER NOT NULL,
                      processedAt INTEGER,
                      filedFolder TEXT,
                      filedUid INTEGER,
                      quarantineFiled INTEGER NOT NULL DEFAULT 0 CHECK (quarantineFiled IN (0, 1)),
                      UNIQUE (uidValidity, uid));
                    CREATE INDEX inboundMessage_messageId ON inboundMessage(messageId);
                    CREATE INDEX inboundMessage_state ON inboundMessage(state, id);

                    CREATE TABLE outboxMessage (
                      id INTEGER PRIMARY KEY,
                      event TEXT NOT NULL,
                      ref TEXT,
                      recipients TEXT NOT NULL CHECK (recipients <> ''),
                      envelopeFrom TEXT NOT NULL DEFAULT '',
                      messageId TEXT NOT NULL UNIQUE,
                      raw BLOB NOT NULL,
                      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','sent','failed')),
                      attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                      firstQueuedAt INTEGER NOT NULL,
                      nextAttemptAt INTEGER NOT NULL,
                      lastError TEXT,
                      sentAt INTEGER,
                      inboundId INTEGER REFERENCES inboundMessage(id) ON DELETE SET NULL);
                    CREATE INDEX outboxMessage_due ON outboxMessage(state, nextAttemptAt, id);

                    CREATE TABLE errorReply (
                      id INTEGER PRIMARY KEY,
                      sender TEXT NOT NULL,
                      sentAt INTEGER NOT NULL);
                    CREATE INDEX errorReply_sender ON errorReply(sender, sentAt);

                    CREATE TABLE bounce (
                      id INTEGER PRIMARY KEY,
                      outboxId INTEGER REFERENCES outboxMessage(id) ON DELETE SET NULL,
                      recipient TEXT NOT NULL,
                      status TEXT NOT NULL,
                      inboundId INTEGER REFERENCES inboundMessage(id) ON DELETE SET NULL,
                      receivedAt INTEGER NOT NULL);
                    CREATE INDEX bounce_recipient ON bounce(recipient);
                    """)
        }
        return migrator
    }
}
