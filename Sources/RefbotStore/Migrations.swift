import GRDB
import RefbotCore

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
        migrator.registerMigration("v2: network") { db in
            try db.execute(
                sql: """
                    CREATE TABLE member (
                      id INTEGER PRIMARY KEY,
                      email TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
                      name TEXT NOT NULL,
                      business TEXT, category TEXT, city TEXT, website TEXT, phone TEXT, about TEXT,
                      state TEXT NOT NULL CHECK (state IN ('pending','active','left')),
                      announcementsOff INTEGER NOT NULL DEFAULT 0 CHECK (announcementsOff IN (0, 1)),
                      credits INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0),
                      points INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
                      bounceCount INTEGER NOT NULL DEFAULT 0 CHECK (bounceCount >= 0),
                      joinedAt INTEGER NOT NULL,
                      confirmedAt INTEGER,
                      leftAt INTEGER);

                    CREATE TABLE listing (
                      id INTEGER PRIMARY KEY,
                      ownerId INTEGER NOT NULL REFERENCES member(id),
                      title TEXT NOT NULL CHECK (title <> ''),
                      category TEXT NOT NULL,
                      location TEXT,
                      customer TEXT NOT NULL,
                      rewardKind TEXT NOT NULL CHECK (rewardKind IN ('perLead','perSale','percentOfSale','inKind','none')),
                      rewardAmountMinor INTEGER CHECK (rewardAmountMinor >= 0),
                      rewardCurrency TEXT,
                      rewardBasisPoints INTEGER CHECK (rewardBasisPoints BETWEEN 1 AND 10000),
                      rewardText TEXT,
                      customTerms TEXT,
                      state TEXT NOT NULL CHECK (state IN ('pending','live','declined','closed','expired')),
                      featuredUntil INTEGER,
                      expiresAt INTEGER,
                      createdAt INTEGER NOT NULL,
                      updatedAt INTEGER NOT NULL,
                      declineReason TEXT,
                      CHECK ((rewardKind IN ('perLead','perSale')) = (rewardAmountMinor IS NOT NULL AND rewardCurrency IS NOT NULL)));
                    CREATE INDEX listing_owner ON listing(ownerId);
                    CREATE INDEX listing_state ON listing(state, featuredUntil);

                    CREATE TABLE connection (
                      id INTEGER PRIMARY KEY,
                      requesterId INTEGER NOT NULL REFERENCES member(id),
                      addresseeId INTEGER NOT NULL REFERENCES member(id),
                      state TEXT NOT NULL CHECK (state IN ('pending','accepted','rejected')),
                      message TEXT,
                      createdAt INTEGER NOT NULL,
                      decidedAt INTEGER,
                      CHECK (requesterId <> addresseeId),
                      UNIQUE (requesterId, addresseeId));
                    CREATE INDEX connection_addressee ON connection(addresseeId);

                    CREATE TABLE follow (
                      id INTEGER PRIMARY KEY,
                      followerId INTEGER NOT NULL REFERENCES member(id),
                      followedId INTEGER NOT NULL REFERENCES member(id),
                      createdAt INTEGER NOT NULL,
                      CHECK (followerId <> followedId),
                      UNIQUE (followerId, followedId));
                    CREATE INDEX follow_followed ON follow(followedId);

                    CREATE TABLE referral (
                      id INTEGER PRIMARY KEY,
                      listingId INTEGER NOT NULL REFERENCES listing(id),
                      ownerId INTEGER NOT NULL REFERENCES member(id),
                      referrerId INTEGER NOT NULL REFERENCES member(id),
                      customerName TEXT NOT NULL,
                      customerEmail TEXT,
                      customerPhone TEXT,
                      need TEXT NOT NULL,
                      consent TEXT NOT NULL CHECK (consent IN ('byReferrer','asked','granted','refused')),
                      state TEXT NOT NULL CHECK (state IN ('pending','accepted','contacted','won','lost','paid','closed','rejected','expired')),
                      createdAt INTEGER NOT NULL,
                      deliveredAt INTEGER,
                      updatedAt INTEGER NOT NULL,
                      remindedAt INTEGER,
                      acceptedAt INTEGER,
                      closedAt INTEGER,
                      rewardOwedMinor INTEGER CHECK (rewardOwedMinor >= 0),
                      rewardOwedCurrency TEXT,
                      inKindOwed TEXT,
                      rewardPaidMinor INTEGER CHECK (rewardPaidMinor >= 0),
                      rewardPaidCurrency TEXT,
                      wonAmountMinor INTEGER CHECK (wonAmountMinor >= 0),
                      wonCurrency TEXT,
                      rejectReason TEXT,
                      lostReason TEXT,
                      disputeReason TEXT,
                      disputedAt INTEGER,
                      selfReferralFlag INTEGER NOT NULL DEFAULT 0 CHECK (selfReferralFlag IN (0, 1)));
                    CREATE INDEX referral_listing ON referral(listingId, customerEmail);
                    CREATE INDEX referral_owner ON referral(ownerId, state);
                    CREATE INDEX referral_referrer ON referral(referrerId, state);

                    CREATE TABLE agreement (
                      id INTEGER PRIMARY KEY,
                      listingId INTEGER NOT NULL REFERENCES listing(id),
                      ownerId INTEGER NOT NULL REFERENCES member(id),
                      referrerId INTEGER NOT NULL REFERENCES member(id),
                      version TEXT NOT NULL,
                      sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
                      ownerAgreedAt INTEGER NOT NULL,
                      ownerMethod TEXT NOT NULL CHECK (ownerMethod IN ('reply','link','listing')),
                      referrerAgreedAt INTEGER NOT NULL,
                      referrerMethod TEXT NOT NULL CHECK (referrerMethod IN ('reply','link','listing')),
                      token TEXT,
                      messageId TEXT,
                      authVerdict TEXT,
                      UNIQUE (listingId, referrerId, version, sha256));

                    -- The tag of a reply address (referrals+TAG@…): who may use it, for what, until when.
                    CREATE TABLE replyToken (
                      token TEXT PRIMARY KEY,
                      memberEmail TEXT NOT NULL,
                      action TEXT NOT NULL,
                      ref TEXT,
                      createdAt INTEGER NOT NULL,
                      expiresAt INTEGER NOT NULL);
                    CREATE INDEX replyToken_member ON replyToken(memberEmail);

                    -- A command held until its sender confirms it (sender authentication, path 3).
                    CREATE TABLE heldCommand (
                      id INTEGER PRIMARY KEY,
                      token TEXT NOT NULL UNIQUE,
                      inboundId INTEGER NOT NULL REFERENCES inboundMessage(id),
                      sender TEXT NOT NULL,
                      createdAt INTEGER NOT NULL,
                      expiresAt INTEGER NOT NULL,
                      confirmedAt INTEGER);

                    CREATE TABLE announcement (
                      id INTEGER PRIMARY KEY,
                      title TEXT NOT NULL,
                      link TEXT,
                      body TEXT NOT NULL,
                      createdAt INTEGER NOT NULL,
                      sentCount INTEGER NOT NULL DEFAULT 0);
                    """)
        }
        migrator.registerMigration("v3: listing search") { db in
            // Full-text search over live listings only. The index's external content is a view of the
            // live rows, and triggers on `listing` keep the index in step with it; the reward column
            // holds the reward in words ("per lead", "per sale", "% of sale", "in kind …", "none").
            try db.execute(
                sql: """
                    CREATE VIEW listingSearchSource AS
                      SELECT id, title, category, coalesce(location, '') AS location, customer,
                        CASE rewardKind
                          WHEN 'perLead' THEN 'per lead'
                          WHEN 'perSale' THEN 'per sale'
                          WHEN 'percentOfSale' THEN 'percent of sale'
                          WHEN 'inKind' THEN 'in kind ' || coalesce(rewardText, '')
                          ELSE 'none' END AS reward
                      FROM listing WHERE state = 'live';

                    CREATE VIRTUAL TABLE listingSearch USING fts5(
                      title, category, location, customer, reward,
                      content = 'listingSearchSource', content_rowid = 'id',
                      tokenize = 'unicode61 remove_diacritics 2');

                    CREATE TRIGGER listingSearch_insert AFTER INSERT ON listing WHEN new.state = 'live' BEGIN
                      INSERT INTO listingSearch (rowid, title, category, location, customer, reward)
                        SELECT id, title, category, location, customer, reward FROM listingSearchSource
                        WHERE id = new.id;
                    END;

                    CREATE TRIGGER listingSearch_delete AFTER DELETE ON listing WHEN old.state = 'live' BEGIN
                      INSERT INTO listingSearch (listingSearch, rowid, title, category, location, customer, reward)
                        VALUES ('delete', old.id, old.title, old.category, coalesce(old.location, ''), old.customer,
                          CASE old.rewardKind
                            WHEN 'perLead' THEN 'per lead'
                            WHEN 'perSale' THEN 'per sale'
                            WHEN 'percentOfSale' THEN 'percent of sale'
                            WHEN 'inKind' THEN 'in kind ' || coalesce(old.rewardText, '')
                            ELSE 'none' END);
                    END;

                    CREATE TRIGGER listingSearch_update AFTER UPDATE ON listing BEGIN
                      INSERT INTO listingSearch (listingSearch, rowid, title, category, location, customer, reward)
                        SELECT 'delete', old.id, old.title, old.category, coalesce(old.location, ''), old.customer,
                          CASE old.rewardKind
                            WHEN 'perLead' THEN 'per lead'
                            WHEN 'perSale' THEN 'per sale'
                            WHEN 'percentOfSale' THEN 'percent of sale'
                            WHEN 'inKind' THEN 'in kind ' || coalesce(old.rewardText, '')
                            ELSE 'none' END
                        WHERE old.state = 'live';
                      INSERT INTO listingSearch (rowid, title, category, location, customer, reward)
                        SELECT id, title, category, location, customer, reward FROM listingSearchSource
                        WHERE id = new.id;
                    END;

                    INSERT INTO listingSearch (listingSearch) VALUES ('rebuild');
                    """)
        }
        migrator.registerMigration("v4: link use") { db in
            // One row per one-click link used: its nonce makes the link single-use, and the synthetic
            // inbound row it made is the reply by mail that the Processor acts on.
            try db.execute(
                sql: """
                    CREATE TABLE linkUse (
                      id INTEGER PRIMARY KEY,
                      nonce TEXT NOT NULL UNIQUE,
                      usedAt INTEGER NOT NULL,
                      word TEXT NOT NULL,
                      tag TEXT NOT NULL,
                      ref TEXT,
                      inboundId INTEGER REFERENCES inboundMessage(id) ON DELETE SET NULL);
                    """)
        }
        migrator.registerMigration("v5: digest") { db in
            try db.execute(
                sql: """
                    -- When each member was last sent the digest.
                    CREATE TABLE digest (
                      memberId INTEGER PRIMARY KEY REFERENCES member(id),
                      sentAt INTEGER NOT NULL);
                    """)
        }
        migrator.registerMigration("v6: lookup indexes") { db in
            // Found by scripts/bench-scale (BENCHMARKS.md, "Scale"): with a million referrals, looking up
            // a reply tag walked every tag of the member, and threading a referral's mail read the whole
            // outbox. The new tag index covers every query the old one served, so the old one goes.
            try db.execute(
                sql: """
                    -- A member's current tag for one action on one object (STATUS items, referral moves).
                    CREATE INDEX replyToken_lookup ON replyToken(memberEmail, action, ref, expiresAt);
                    DROP INDEX replyToken_member;

                    -- The mail already sent about an object, to thread answers under it.
                    CREATE INDEX outboxMessage_ref ON outboxMessage(ref);
                    """)
        }
        migrator.registerMigration("v7: hashed scoped reply tags") { db in
            // Reply tags are capabilities (spec §2 path 1): only their SHA-256 is kept, they can be
            // revoked (used up, object closed, member left), and none lives past 120 days. Live tags
            // keep working: each stored token is replaced by its hash. The confirmation a held
            // command waits for and the links used are keyed by that hash too, and an agreement's
            // evidence names the agreeing reply by a random id instead of its tag.
            db.add(function: DatabaseFunction("refbot_sha256_hex", argumentCount: 1, pure: true) { values in
                guard let token = String.fromDatabaseValue(values[0]) else { return nil }
                return ReplyTag.hash(token)
            })
            try db.execute(
                sql: """
                    ALTER TABLE replyToken RENAME COLUMN token TO tokenHash;
                    UPDATE replyToken SET tokenHash = refbot_sha256_hex(tokenHash),
                      expiresAt = min(expiresAt, createdAt + \(ReplyTag.maxLifetimeSeconds));
                    ALTER TABLE replyToken ADD COLUMN revokedAt INTEGER;
                    -- Revoking every tag of an object when it closes.
                    CREATE INDEX replyToken_ref ON replyToken(ref);

                    ALTER TABLE heldCommand RENAME COLUMN token TO tokenHash;
                    UPDATE heldCommand SET tokenHash = refbot_sha256_hex(tokenHash);
                    -- A held command that already ran has used its confirmation up.
                    UPDATE replyToken SET revokedAt = (SELECT confirmedAt FROM heldCommand WHERE heldCommand.tokenHash = replyToken.tokenHash)
                      WHERE tokenHash IN (SELECT tokenHash FROM heldCommand WHERE confirmedAt IS NOT NULL);

                    ALTER TABLE linkUse RENAME COLUMN tag TO tagHash;
                    UPDATE linkUse SET tagHash = refbot_sha256_hex(tagHash);
                    -- The tag a link's mail answers is found by the inbound row the link made.
                    CREATE INDEX linkUse_inbound ON linkUse(inboundId);

                    -- The tag an inbound mail answered, as its hash: the kept copy of the mail shows none.
                    ALTER TABLE inboundMessage ADD COLUMN tagHash TEXT;

                    ALTER TABLE agreement RENAME COLUMN token TO evidenceId;
                    UPDATE agreement SET evidenceId = 'ev-' || lower(hex(randomblob(12))) WHERE evidenceId IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v9: reply caps") { db in
            // Automatic answers to addresses that are not proven members, counted per address
            // (lower-cased, +suffix removed) and all together (mail.replies_per_address_per_hour,
            // mail.unproven_replies_per_hour); and the admins' notices, mailed one by one up to
            // mail.admin_notices_per_hour and kept here for one summary past that.
            try db.execute(
                sql: """
                    CREATE TABLE unprovenReply (
                      id INTEGER PRIMARY KEY,
                      address TEXT NOT NULL,
                      event TEXT NOT NULL,
                      sentAt INTEGER NOT NULL);
                    CREATE INDEX unprovenReply_address ON unprovenReply(address, sentAt);
                    CREATE INDEX unprovenReply_sentAt ON unprovenReply(sentAt);

                    CREATE TABLE adminNotice (
                      id INTEGER PRIMARY KEY,
                      event TEXT NOT NULL,
                      summary TEXT NOT NULL,
                      createdAt INTEGER NOT NULL,
                      mailed INTEGER NOT NULL CHECK (mailed IN (0, 1)),
                      summarizedAt INTEGER);
                    CREATE INDEX adminNotice_createdAt ON adminNotice(mailed, createdAt);
                    CREATE INDEX adminNotice_waiting ON adminNotice(summarizedAt, mailed);
                    """)
        }
        migrator.registerMigration("v10: retention and erasure") { db in
            // Raw mail is purged after mail.retention_days (and at once when its person is erased):
            // the bytes go, the row and when it was purged stay. An erased member keeps their row
            // (ledger rows point at it) with the profile blanked and the time of the erasure.
            // Listings of members who left before LEAVE closed them are closed now.
            try db.execute(
                sql: """
                    ALTER TABLE inboundMessage ADD COLUMN purgedAt INTEGER;
                    ALTER TABLE outboxMessage ADD COLUMN purgedAt INTEGER;
                    ALTER TABLE member ADD COLUMN erasedAt INTEGER;
                    CREATE INDEX inboundMessage_unpurged ON inboundMessage(processedAt) WHERE purgedAt IS NULL;
                    CREATE INDEX outboxMessage_unpurged ON outboxMessage(sentAt) WHERE purgedAt IS NULL;
                    UPDATE listing SET state = 'closed', updatedAt = CAST(strftime('%s', 'now') AS INTEGER)
                      WHERE state IN ('pending', 'live') AND ownerId IN (SELECT id FROM member WHERE state = 'left');
                    """)
        }
        migrator.registerMigration("v11: replay guard") { db in
            try db.execute(
                sql: """
                    -- Each (Message-ID, From:) whose command refbot has acted on: a copy of the same mail
                    -- re-injected with new trace fields is a replay, not a new command.
                    CREATE TABLE commandSeen (
                      messageId TEXT NOT NULL,
                      sender TEXT NOT NULL,
                      inboundId INTEGER REFERENCES inboundMessage(id) ON DELETE SET NULL,
                      seenAt INTEGER NOT NULL,
                      PRIMARY KEY (messageId, sender));
                    """)
        }
        migrator.registerMigration("v12: verp bounces and probes") { db in
            // Bounces count only at a VERP address with refbot's mac (nothing to store for that).
            // At mail.bounce_limit a probe goes out; mail stops only when the probe bounces too.
            // Counts kept from before came from bounces anyone could forge: they start again at 0.
            try db.execute(
                sql: """
                    ALTER TABLE member ADD COLUMN bounceStoppedAt INTEGER;
                    ALTER TABLE member ADD COLUMN bounceProbeOutboxId INTEGER;
                    ALTER TABLE member ADD COLUMN bounceProbeSentAt INTEGER;
                    UPDATE member SET bounceCount = 0;
                    """)
        }
        migrator.registerMigration("v13: member admin") { db in
            // Admin tools: a member can be suspended (commands refused, no announcements or digests,
            // listings out of search, links dead) and resumed; outbound mail can be cancelled; a
            // quarantined mail can be processed again once. `ledgerEvent` is the history of the
            // ledger's changes: triggers write a row for each referral change, and whoever made the
            // change (a member by mail or link, an admin, the scheduler) stamps the rows of its
            // transaction with who and how.
            try db.execute(
                sql: """
                    ALTER TABLE member ADD COLUMN suspendedAt INTEGER;
                    ALTER TABLE member ADD COLUMN suspendReason TEXT;
                    ALTER TABLE outboxMessage ADD COLUMN cancelledAt INTEGER;
                    ALTER TABLE inboundMessage ADD COLUMN requeuedAt INTEGER;

                    CREATE TABLE ledgerEvent (
                      id INTEGER PRIMARY KEY,
                      ref TEXT NOT NULL,
                      action TEXT NOT NULL,
                      fromState TEXT,
                      toState TEXT,
                      at INTEGER NOT NULL,
                      actor TEXT,
                      method TEXT CHECK (method IN ('mail','link','admin','schedule')),
                      inboundId INTEGER REFERENCES inboundMessage(id) ON DELETE SET NULL,
                      detail TEXT);
                    CREATE INDEX ledgerEvent_ref ON ledgerEvent(ref, id);
                    CREATE INDEX ledgerEvent_unstamped ON ledgerEvent(id) WHERE method IS NULL;

                    CREATE TRIGGER ledgerEvent_referralCreated AFTER INSERT ON referral BEGIN
                      INSERT INTO ledgerEvent (ref, action, toState, at) VALUES ('R-' || new.id, 'created', new.state, new.createdAt);
                    END;
                    CREATE TRIGGER ledgerEvent_referralState AFTER UPDATE OF state ON referral
                      WHEN old.state IS NOT new.state BEGIN
                      INSERT INTO ledgerEvent (ref, action, fromState, toState, at)
                        VALUES ('R-' || new.id, 'state', old.state, new.state, new.updatedAt);
                    END;
                    CREATE TRIGGER ledgerEvent_referralDisputed AFTER UPDATE OF disputedAt ON referral
                      WHEN new.disputedAt IS NOT NULL AND old.disputedAt IS NOT new.disputedAt BEGIN
                      INSERT INTO ledgerEvent (ref, action, fromState, toState, at, detail)
                        VALUES ('R-' || new.id, 'disputed', old.state, new.state, new.disputedAt, new.disputeReason);
                    END;
                    """)
        }
        migrator.registerMigration("v14: sending limits and complaints") { db in
            // smtp.max_per_minute / smtp.max_per_day count the recipients of mail really sent (a
            // rolling window over sentAt). Mail given up on is reported to the admins in one
            // delivery.failed summary an hour: failedAt says when, failureReportedAt when it was
            // reported (mail failed before this release was reported the old way). A member whose
            // provider forwarded their complaint (an ARF report) gets no announcements or digests.
            try db.execute(
                sql: """
                    ALTER TABLE outboxMessage ADD COLUMN failedAt INTEGER;
                    ALTER TABLE outboxMessage ADD COLUMN failureReportedAt INTEGER;
                    UPDATE outboxMessage SET failedAt = firstQueuedAt, failureReportedAt = firstQueuedAt WHERE state = 'failed';
                    CREATE INDEX outboxMessage_sentAt ON outboxMessage(sentAt) WHERE state = 'sent';
                    CREATE INDEX outboxMessage_unreported ON outboxMessage(failedAt) WHERE failureReportedAt IS NULL;
                    CREATE INDEX outboxMessage_failureReportedAt ON outboxMessage(failureReportedAt);
                    ALTER TABLE member ADD COLUMN complainedAt INTEGER;
                    """)
        }
        migrator.registerMigration("v15: webhooks") { db in
            // The webhook queue: one row per configured [[webhooks]] url per state change, written in
            // the transaction of the change. body is the JSON posted (the same bytes on every
            // attempt); deliveryId is the Refbot-Delivery header, stable across retries and restarts
            // so a receiver can drop a duplicate. Rows of one object (objectKey, e.g. "referral:R-12")
            // go out to one url in id order; dedupeKey keeps one row per url for one state change that
            // mails several people.
            try db.execute(
                sql: """
                    CREATE TABLE webhookDelivery (
                      id INTEGER PRIMARY KEY,
                      deliveryId TEXT NOT NULL UNIQUE,
                      eventId TEXT NOT NULL,
                      url TEXT NOT NULL,
                      event TEXT NOT NULL,
                      objectKey TEXT NOT NULL,
                      dedupeKey TEXT NOT NULL,
                      body TEXT NOT NULL,
                      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','delivered','failed')),
                      attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                      createdAt INTEGER NOT NULL,
                      nextAttemptAt INTEGER NOT NULL,
                      deliveredAt INTEGER,
                      failedAt INTEGER,
                      lastStatus INTEGER,
                      lastError TEXT,
                      UNIQUE (url, dedupeKey));
                    CREATE INDEX webhookDelivery_due ON webhookDelivery(url, nextAttemptAt) WHERE state = 'pending';
                    CREATE INDEX webhookDelivery_object ON webhookDelivery(url, objectKey, id) WHERE state = 'pending';
                    CREATE INDEX webhookDelivery_state ON webhookDelivery(state, id);
                    """)
        }
        migrator.registerMigration("v16: compliance") { db in
            // A listing's Profession: and Jurisdiction: keys and what the compliance rules made of
            // them: the rule that holds it back (it stays pending until an admin overrides), the
            // disclosure line its agreements carry, and the admin's override. The history records
            // the hold and the override like referral changes (stamped with who and how).
            try db.execute(
                sql: """
                    ALTER TABLE listing ADD COLUMN profession TEXT;
                    ALTER TABLE listing ADD COLUMN jurisdiction TEXT;
                    ALTER TABLE listing ADD COLUMN complianceHeldBy TEXT;
                    ALTER TABLE listing ADD COLUMN complianceDisclosure TEXT;
                    ALTER TABLE listing ADD COLUMN complianceOverrideReason TEXT;
                    ALTER TABLE listing ADD COLUMN complianceOverrideBy TEXT;
                    ALTER TABLE listing ADD COLUMN complianceOverrideAt INTEGER;
                    CREATE TRIGGER ledgerEvent_listingHeld AFTER INSERT ON listing
                      WHEN new.complianceHeldBy IS NOT NULL BEGIN
                      INSERT INTO ledgerEvent (ref, action, toState, at, detail)
                        VALUES ('L-' || new.id, 'compliance hold', new.state, new.createdAt, 'rule ' || new.complianceHeldBy);
                    END;
                    CREATE TRIGGER ledgerEvent_listingOverride AFTER UPDATE OF complianceOverrideReason ON listing
                      WHEN new.complianceOverrideReason IS NOT NULL AND old.complianceOverrideReason IS NULL BEGIN
                      INSERT INTO ledgerEvent (ref, action, fromState, toState, at, detail)
                        VALUES ('L-' || new.id, 'compliance override', old.state, new.state,
                          coalesce(new.complianceOverrideAt, new.updatedAt),
                          'rule ' || coalesce(new.complianceHeldBy, '?') || ': ' || new.complianceOverrideReason);
                    END;
                    """)
        }
        migrator.registerMigration("v17: recognition") { db in
            // RECOGNITION off keeps a member's name out of the monthly recognition mail. One row per
            // month ranked: the scheduler sends that month's mail in batches of members (id order),
            // `lastMemberId` says how far it got, `finishedAt` that it is done, so a restart neither
            // sends it twice nor loses the rest. `recognitionStanding` keeps every ranked member's
            // count and rank of that month, written with the month's row, so STATUS and digests
            // read one member's rank by key instead of ranking the network again. The index finds
            // the month's accepted and won referrals in the ledger's history for the ranking and
            // `refbot admin activity`.
            try db.execute(
                sql: """
                    ALTER TABLE member ADD COLUMN recognitionOff INTEGER NOT NULL DEFAULT 0 CHECK (recognitionOff IN (0, 1));
                    CREATE TABLE recognitionMonth (
                      month TEXT PRIMARY KEY CHECK (length(month) = 7),
                      startedAt INTEGER NOT NULL,
                      lastMemberId INTEGER NOT NULL DEFAULT 0,
                      queued INTEGER NOT NULL DEFAULT 0,
                      finishedAt INTEGER);
                    CREATE TABLE recognitionStanding (
                      month TEXT NOT NULL,
                      memberId INTEGER NOT NULL,
                      category TEXT NOT NULL CHECK (category IN ('given', 'accepted', 'won')),
                      count INTEGER NOT NULL CHECK (count > 0),
                      rank INTEGER NOT NULL CHECK (rank > 0),
                      ranked INTEGER NOT NULL,
                      PRIMARY KEY (month, memberId, category)) WITHOUT ROWID;
                    CREATE INDEX ledgerEvent_toState ON ledgerEvent(toState, at) WHERE action = 'state';
                    CREATE INDEX referral_deliveredAt ON referral(deliveredAt) WHERE deliveredAt IS NOT NULL;
                    CREATE INDEX referral_acceptedAt ON referral(acceptedAt) WHERE acceptedAt IS NOT NULL;
                    CREATE INDEX referral_createdAt ON referral(createdAt);
                    """)
        }
        migrator.registerMigration("v18: digest items") { db in
            // The numbered items of a dashboard or digest mail, keyed by the hash of that mail's reply
            // tag: a reply `2 REJECT` to the mail runs REJECT on item 2's object, proven by the item's
            // own tag (scoped, expiring and revoked as the single notification's tag would be).
            try db.execute(
                sql: """
                    CREATE TABLE digestItem (
                      tagHash TEXT NOT NULL,
                      number INTEGER NOT NULL CHECK (number >= 1),
                      ref TEXT NOT NULL,
                      words TEXT NOT NULL,
                      itemTagHash TEXT,
                      createdAt INTEGER NOT NULL,
                      PRIMARY KEY (tagHash, number));
                    CREATE INDEX digestItem_createdAt ON digestItem(createdAt);
                    """)
        }
        migrator.registerMigration("v19: speed indexes") { db in
            // The Sender's "is this the first answer to its inbound mail" check, once per mail sent,
            // walked every sent row of the outbox (which is never pruned): (inboundId, state) answers it.
            try db.execute(
                sql: """
                    CREATE INDEX outboxMessage_inbound ON outboxMessage(inboundId, state);
                    """)
        }
        migrator.registerMigration("v20: held commands by sender") { db in
            // "How many commands has this sender had held in the last hour", once per held command,
            // read every held command ever kept: (sender, createdAt) answers it.
            try db.execute(
                sql: """
                    CREATE INDEX heldCommand_sender ON heldCommand(sender, createdAt);
                    """)
        }
        return migrator
    }
}
