-- A refbot database at schema v11 (migrations v1 to v11: replay guard) with one inbound mail:
-- what refbot before v12 left behind. scripts/test-package upgrades it; sqlite3 DB < this file.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
INSERT INTO grdb_migrations VALUES('v1: queues');
INSERT INTO grdb_migrations VALUES('v2: network');
INSERT INTO grdb_migrations VALUES('v3: listing search');
INSERT INTO grdb_migrations VALUES('v4: link use');
INSERT INTO grdb_migrations VALUES('v5: digest');
INSERT INTO grdb_migrations VALUES('v6: lookup indexes');
INSERT INTO grdb_migrations VALUES('v7: hashed scoped reply tags');
INSERT INTO grdb_migrations VALUES('v9: reply caps');
INSERT INTO grdb_migrations VALUES('v10: retention and erasure');
INSERT INTO grdb_migrations VALUES('v11: replay guard');
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
  quarantineFiled INTEGER NOT NULL DEFAULT 0 CHECK (quarantineFiled IN (0, 1)), tagHash TEXT, purgedAt INTEGER,
  UNIQUE (uidValidity, uid));
INSERT INTO inboundMessage VALUES(1,1,1,NULL,X'46726f6d3a20616e6e406578616d706c652e6f7267','received',0,NULL,NULL,1764800000,NULL,NULL,NULL,0,NULL,NULL);
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
  inboundId INTEGER REFERENCES inboundMessage(id) ON DELETE SET NULL, purgedAt INTEGER);
CREATE TABLE errorReply (
  id INTEGER PRIMARY KEY,
  sender TEXT NOT NULL,
  sentAt INTEGER NOT NULL);
CREATE TABLE bounce (
  id INTEGER PRIMARY KEY,
  outboxId INTEGER REFERENCES outboxMessage(id) ON DELETE SET NULL,
  recipient TEXT NOT NULL,
  status TEXT NOT NULL,
  inboundId INTEGER REFERENCES inboundMessage(id) ON DELETE SET NULL,
  receivedAt INTEGER NOT NULL);
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
  leftAt INTEGER, erasedAt INTEGER);
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
CREATE TABLE follow (
  id INTEGER PRIMARY KEY,
  followerId INTEGER NOT NULL REFERENCES member(id),
  followedId INTEGER NOT NULL REFERENCES member(id),
  createdAt INTEGER NOT NULL,
  CHECK (followerId <> followedId),
  UNIQUE (followerId, followedId));
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
  evidenceId TEXT,
  messageId TEXT,
  authVerdict TEXT,
  UNIQUE (listingId, referrerId, version, sha256));
CREATE TABLE replyToken (
  tokenHash TEXT PRIMARY KEY,
  memberEmail TEXT NOT NULL,
  action TEXT NOT NULL,
  ref TEXT,
  createdAt INTEGER NOT NULL,
  expiresAt INTEGER NOT NULL, revokedAt INTEGER);
CREATE TABLE heldCommand (
  id INTEGER PRIMARY KEY,
  tokenHash TEXT NOT NULL UNIQUE,
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
PRAGMA writable_schema=ON;
INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','listingSearch','listingSearch',0,'CREATE VIRTUAL TABLE listingSearch USING fts5(
  title, category, location, customer, reward,
  content = ''listingSearchSource'', content_rowid = ''id'',
  tokenize = ''unicode61 remove_diacritics 2'')');
CREATE TABLE IF NOT EXISTS 'listingSearch_data'(id INTEGER PRIMARY KEY, block BLOB);
INSERT INTO listingSearch_data VALUES(1,X'000000000000');
INSERT INTO listingSearch_data VALUES(10,X'00000000000000');
CREATE TABLE IF NOT EXISTS 'listingSearch_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS 'listingSearch_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE IF NOT EXISTS 'listingSearch_config'(k PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO listingSearch_config VALUES('version',4);
CREATE TABLE linkUse (
  id INTEGER PRIMARY KEY,
  nonce TEXT NOT NULL UNIQUE,
  usedAt INTEGER NOT NULL,
  word TEXT NOT NULL,
  tagHash TEXT NOT NULL,
  ref TEXT,
  inboundId INTEGER REFERENCES inboundMessage(id) ON DELETE SET NULL);
CREATE TABLE digest (
  memberId INTEGER PRIMARY KEY REFERENCES member(id),
  sentAt INTEGER NOT NULL);
CREATE TABLE unprovenReply (
  id INTEGER PRIMARY KEY,
  address TEXT NOT NULL,
  event TEXT NOT NULL,
  sentAt INTEGER NOT NULL);
CREATE TABLE adminNotice (
  id INTEGER PRIMARY KEY,
  event TEXT NOT NULL,
  summary TEXT NOT NULL,
  createdAt INTEGER NOT NULL,
  mailed INTEGER NOT NULL CHECK (mailed IN (0, 1)),
  summarizedAt INTEGER);
CREATE TABLE commandSeen (
  messageId TEXT NOT NULL,
  sender TEXT NOT NULL,
  inboundId INTEGER REFERENCES inboundMessage(id) ON DELETE SET NULL,
  seenAt INTEGER NOT NULL,
  PRIMARY KEY (messageId, sender));
CREATE INDEX inboundMessage_messageId ON inboundMessage(messageId);
CREATE INDEX inboundMessage_state ON inboundMessage(state, id);
CREATE INDEX outboxMessage_due ON outboxMessage(state, nextAttemptAt, id);
CREATE INDEX errorReply_sender ON errorReply(sender, sentAt);
CREATE INDEX bounce_recipient ON bounce(recipient);
CREATE INDEX listing_owner ON listing(ownerId);
CREATE INDEX listing_state ON listing(state, featuredUntil);
CREATE INDEX connection_addressee ON connection(addresseeId);
CREATE INDEX follow_followed ON follow(followedId);
CREATE INDEX referral_listing ON referral(listingId, customerEmail);
CREATE INDEX referral_owner ON referral(ownerId, state);
CREATE INDEX referral_referrer ON referral(referrerId, state);
CREATE VIEW listingSearchSource AS
  SELECT id, title, category, coalesce(location, '') AS location, customer,
    CASE rewardKind
      WHEN 'perLead' THEN 'per lead'
      WHEN 'perSale' THEN 'per sale'
      WHEN 'percentOfSale' THEN 'percent of sale'
      WHEN 'inKind' THEN 'in kind ' || coalesce(rewardText, '')
      ELSE 'none' END AS reward
  FROM listing WHERE state = 'live';
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
CREATE INDEX replyToken_lookup ON replyToken(memberEmail, action, ref, expiresAt);
CREATE INDEX outboxMessage_ref ON outboxMessage(ref);
CREATE INDEX replyToken_ref ON replyToken(ref);
CREATE INDEX linkUse_inbound ON linkUse(inboundId);
CREATE INDEX unprovenReply_address ON unprovenReply(address, sentAt);
CREATE INDEX unprovenReply_sentAt ON unprovenReply(sentAt);
CREATE INDEX adminNotice_createdAt ON adminNotice(mailed, createdAt);
CREATE INDEX adminNotice_waiting ON adminNotice(summarizedAt, mailed);
CREATE INDEX inboundMessage_unpurged ON inboundMessage(processedAt) WHERE purgedAt IS NULL;
CREATE INDEX outboxMessage_unpurged ON outboxMessage(sentAt) WHERE purgedAt IS NULL;
PRAGMA writable_schema=OFF;
COMMIT;
