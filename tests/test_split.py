from itertools import pairwise

from hypothesis import given, settings, strategies as st

from index.clean import clean_page
from index.split import split_sentences


def _check(doc):
    sents = split_sentences(doc)
    for i, s in enumerate(sents):
        assert doc.text[s.start:s.end] == s.text
        assert s.text.strip() == s.text and s.text
        assert s.index == i
    starts = [s.start for s in sents]
    assert starts == sorted(starts)
    for a, b in pairwise(sents):
        assert a.end <= b.start  # no overlap
    return sents


def test_offsets_hold_on_every_seed_sentence(seed_docs):
    total = 0
    for doc in seed_docs:
        total += len(_check(doc))
    assert total > 150


def test_headings_are_units_of_their_own(seed_docs):
    doc = next(d for d in seed_docs if d.doc_id.startswith("000"))
    sents = split_sentences(doc)
    assert sents[0].kind == "title" and sents[0].text == doc.title
    assert any(s.kind == "heading" and s.text == "계약 단계부터 ‘협상 필요’" for s in sents)


def test_broken_spacing_is_kept_in_displayed_text(seed_docs):
    doc = next(d for d in seed_docs if d.doc_id.startswith("001"))
    assert any("날아오 르기" in s.text for s in split_sentences(doc))


def test_a_quoted_phrase_stays_with_the_particle_after_it(seed_docs):
    # Kiwi ended a sentence after "‘팩스, 열쇠, 도장의 나라’" and began the next on "로 불리는"
    doc = next(d for d in seed_docs if d.doc_id.startswith("003"))
    texts = [s.text for s in _check(doc)]
    assert "이유는 크게 세 가지다." in texts
    assert any(t.startswith("‘팩스, 열쇠, 도장의 나라’로 불리는 일본이") for t in texts)
    doc = clean_page("판소리는 긴 이야기를 엮어 부르는 한국의 전통 음악이다. '판'은 여러 사람이 모인 곳을 뜻한다.", "gen")
    assert [s.text for s in _check(doc)] == ["판소리는 긴 이야기를 엮어 부르는 한국의 전통 음악이다.",
                                             "'판'은 여러 사람이 모인 곳을 뜻한다."]


_korean = st.text(alphabet=st.sampled_from(list("가나다라마바사아자차카타파하한국일본은는이가을를다.?! \n\t,“”‘’'0123456789AI")),
                  max_size=400)


@settings(max_examples=150, deadline=None)
@given(_korean)
def test_offsets_hold_on_generated_text(raw):
    _check(clean_page(raw, "gen"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([
    "일본 정부는 AI 산업을 육성한다.", "삼성 전자의 수혜가 기대된다.", "◇ 소제목", "좋아요0",
    "“놓쳐선 안 될 시장”이라고 말했다.", "  • 메뉴", "구름많음서울 29.7℃", "그래서 무엇을 했나?",
    "AI산업은 날아오 르기 직전이다. 지금 놓치면 어렵다.", "",
]), max_size=25))
def test_offsets_hold_on_generated_pages(lines):
    _check(clean_page("\n".join(lines), "gen"))
