-- The timeline of every message in an incident channel, and the post-mortem written from it.

-- One Slack message is stamped once, even if Slack delivers it again under another event id.
-- Edits, deletions and pins are entries of their own kinds that carry the original's ts.
CREATE UNIQUE INDEX timeline_entries_one_per_message
    ON timeline_entries (incident_id, slack_ts) WHERE kind = 'message';

-- Append-only, enforced: an entry is never changed in place (retention may still delete rows).
CREATE FUNCTION timeline_entries_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline_entries is append-only: add an entry instead of changing %', OLD.id;
END
$$;

CREATE TRIGGER timeline_entries_append_only BEFORE UPDATE ON timeline_entries
    FOR EACH ROW EXECUTE FUNCTION timeline_entries_refuse_update();

-- Display names from users.info, shared by every replica; never filled by listing the workspace.
CREATE TABLE display_names (
    user_id    text PRIMARY KEY,
    name       text NOT NULL,
    fetched_at timestamptz NOT NULL
);

-- Every post-mortem written (on resolve, or again on request); the newest is the current one.
CREATE TABLE postmortems (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    generated_at timestamptz NOT NULL,
    markdown     text NOT NULL
);

CREATE INDEX postmortems_newest_first ON postmortems (incident_id, generated_at DESC, id DESC);
