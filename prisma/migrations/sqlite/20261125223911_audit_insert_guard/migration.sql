-- Countersign (hand-written): every event the app writes carries its hash and a sequence number from
-- 1 up. Refuse any other insert at the database, so a stray write cannot slip a row outside the chain
-- (where a walk from #1 would not see it) or leave one unsealed.
CREATE TRIGGER "AuditEvent_insert_sealed" BEFORE INSERT ON "AuditEvent"
WHEN NEW."hash" IS NULL OR NEW."prevHash" IS NULL OR NEW."seq" <= 0
BEGIN
  SELECT RAISE(ABORT, 'AuditEvent rows must be sealed into the hash chain');
END;
