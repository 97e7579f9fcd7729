"""The consent ledger read, for the interfaces and the areas: it lives in :mod:`patron.act.consent`.

The send-time gate (:mod:`patron.act.rules`) sits below the service layer and reads consent too, so the ledger
read is kept there, once; this module is its face for the service layer and the interfaces.
"""

from patron.act.consent import (
                                SUPPRESSED,
                                WITHOUT_CONSENT,
                                ConsentRule,
                                consent_columns,
                                is_suppressed,
                                latest_consent_sql,
                                party_consents,
                                picture_consent_column,
                                picture_consent_sql,
)

__all__ = ["SUPPRESSED", "WITHOUT_CONSENT", "ConsentRule", "consent_columns", "is_suppressed", "latest_consent_sql",
           "party_consents", "picture_consent_column", "picture_consent_sql"]
