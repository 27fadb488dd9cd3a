"""Health information management: the HIPAA rights worked on legal clocks (`deadlines`).

`requests` (a patient's copies, releases under a signed `authorization`, accountings),
`queue` (HIM's records-request queue and fulfilment as a release `package`), `accounting`
(164.528), `amendments` (164.526), `updates` (deceased and adoption notices), `letters`
(denials in PDF) and `policy` (kinds, statuses, fees, grounds). Uses core, identity and records.
"""
