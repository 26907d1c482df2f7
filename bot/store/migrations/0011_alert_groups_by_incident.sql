-- An incident's alert groups are looked up when its first message is posted (are there alerts
-- to follow it?) and when its declaration is given up (release them).
CREATE INDEX alert_groups_by_incident ON alert_groups (incident_id) WHERE incident_id IS NOT NULL;
