"""bench.dense_variants measures the texts the dense half could embed; its "passage" must be
the index's own text, or the comparison measures something the index does not do."""

from bench.dense_variants import variant_texts
from index.analyze import respace_many
from index.engine import index_passages


def test_the_passage_variant_is_what_the_index_embeds(seed_docs):
    sentences, texts = variant_texts(seed_docs)
    assert texts["passage"] == index_passages(seed_docs)
    assert texts["sentence"] == respace_many([s.text for s in sentences])
    for passage, bare, titled, previous in zip(texts["passage"], texts["sentence"], texts["title"], texts["previous"]):
        # every variant ends with the sentence, so the pooled variant can find its tokens
        assert passage.endswith(bare) and titled.endswith(bare) and previous.endswith(bare)
        assert len(bare) <= len(previous) <= len(passage) and len(titled) <= len(passage)
    # a body sentence after another body sentence carries it in "previous", not its title
    i = next(i for i in range(1, len(sentences)) if sentences[i].kind == sentences[i - 1].kind == "body"
             and sentences[i].doc_id == sentences[i - 1].doc_id)
    assert texts["previous"][i] == f"{texts['sentence'][i - 1]} {texts['sentence'][i]}"
