"""Other systems the incident flow calls (PagerDuty, Statuspage, GitHub, Jira): one module per
system, each giving its effects' constructors and deliverers (`bot.outbox.Deliverer`), over
`http_api.HttpApi`. Like Slack's, their calls are outbox rows: recorded with the state change,
delivered on any replica, retried through outages, reported when refused."""
