-- What Slack and alert senders asked for, recorded before they get their answer and run from
-- here: on the replica that took it at once, or on any replica after a crash. `key` is the
-- delivery's own (a slash command's trigger id, a click's action ts…): a retry is recognised.
CREATE TABLE inbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key          text NOT NULL UNIQUE,
    kind         text NOT NULL,
    payload      jsonb NOT NULL,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    leased_until timestamptz,
    claimed_by   integer,            -- the claiming replica's presence (a backend pid)
    received_at  timestamptz NOT NULL,
    done_at      timestamptz,
    last_error   text
);

CREATE INDEX inbox_waiting ON inbox (id) WHERE state IN ('pending', 'running');
