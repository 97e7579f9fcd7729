"""The verbatims report tags only what it has not seen: a second report over an unchanged store classifies
nothing, a new comment (or an imported one) is classified alone and counted (issue 12: every request tagged
every verbatim, 25 s under load). On both stores: PostgreSQL keeps no cache of answers, the tagger does."""

from __future__ import annotations

from patron.areas.feedback.service import record_feedback
from patron.areas.quality.verbatims import verbatim_report
from patron.models.verbatim_examples import EXAMPLES
from patron.models.verbatims import Tagger, default_tagger
from patron.service.permissions import User
from patron.store import Store

ADA = User(1, "ada", "admin")
COMMENTS = ("The staff were rude and nobody listened to me.", "Delivery came two days late again.",
            "Lovely shop, clean and modern.", "They fixed my problem at once, thank you!")


class CountingTagger(Tagger):
    """The shipped tagger, counting the texts its models classify."""

    classified: list[str]

    def classify(self, texts):
        self.classified = [*getattr(self, "classified", []), *texts]
        return super().classify(texts)


def test_a_second_report_classifies_nothing_and_a_new_comment_is_classified_alone(engine_url):
    tagger = CountingTagger(EXAMPLES)
    with Store(engine_url) as store:
        for pid, text in enumerate(COMMENTS, 1):
            store.raw.execute("INSERT INTO parties (party_id, kind, name, created_at) VALUES (?, 'person', ?, "
                              "'2025-01-01')", [pid, f"Person {pid}"])
            record_feedback(store, ADA, pid, instrument="nps", score=3 + pid, text=text)
        first = verbatim_report(store, ADA, tagger=tagger)
        assert sorted(tagger.classified) == sorted(COMMENTS) and first["verbatims"] == 4

        again = verbatim_report(store, ADA, tagger=tagger)
        assert len(tagger.classified) == 4, "the second report classified again what it had tagged"
        assert again["dimensions"] == first["dimensions"] and again["rows"] == first["rows"]

        record_feedback(store, ADA, 1, instrument="nps", score=1, text="Rude staff, I waited an hour.")
        third = verbatim_report(store, ADA, tagger=tagger)
        assert tagger.classified[4:] == ["Rude staff, I waited an hour."]
        assert third["verbatims"] == 5 and sum(d["total"] for d in third["dimensions"]) == 5
        # what it remembered is what it would compute
        fresh = Tagger(EXAMPLES).tag([r["text"] for r in third["rows"]])
        assert [(r["dimension"], r["sentiment"], r["cause"]) for r in third["rows"]] == \
            [(t.dimension, t.sentiment, t.cause) for t in fresh]


def test_the_service_tags_with_one_tagger_per_process():
    assert default_tagger() is default_tagger()
