import pytest

from index.clean import clean_page, parse_date
from index.split import split_sentences
from index.text import squash

# Page chrome seen on the seed pages; none of it may reach the index.
CHROME_MARKERS = [
    "구름많음", "℃", "기상청 제공", "Skip to main content", "메뉴", "Member for", "Real name", "Bio",
    "Position", "경영학 전공에 관리자로", "가장작게", "가장크게", "좋아요0", "화나요0", "비트코인",
    "이더리움", "132,991,000", "HOT클릭", "주요 뉴스", "더보기", "넥슨 인수", "구치소", "Read Entire Article",
    "▲손정의", "▲도요타", "사진=", "1 day ago", "장종료", "24시간 변동률",
]


def test_seed_index_text_has_no_chrome(seed_docs):
    for doc in seed_docs:
        for marker in CHROME_MARKERS:
            assert marker not in doc.text, f"{doc.doc_id} keeps chrome {marker!r}"


def test_every_answer_key_lies_in_one_sentence(seed_docs, seed_qa):
    sentences = [s for d in seed_docs for s in split_sentences(d)]
    for q in seed_qa:
        for key in q["keys"]:
            assert any(squash(key) in squash(s.text) for s in sentences), f"{q['id']}: {key}"


def test_seed_metadata(seed_docs):
    by_id = {d.doc_id: d for d in seed_docs}
    assert by_id["001_8ab676931d42010d"].published == "2025-09-02"
    assert by_id["002_76483b81068cf569"].published == "2025-08-25"
    assert by_id["004_79428cd70812c8c1"].published == "2026-01-07"
    assert by_id["000_43c50d81bab253fa"].title.startswith("[딥테크] 일본의 딜레마")
    assert by_id["001_8ab676931d42010d"].title == "첨단기술의 산업화 전략"
    assert by_id["003_e4fd56b795545594"].source.startswith("정지은/최지희/고은이 기자")
    # the dateline glued to 002's first paragraph is metadata, not text
    assert by_id["002_76483b81068cf569"].text.startswith("미국, 중국에 이어")


# A page the rules were not written from: another site's layout, other widgets.
SYNTHETIC_PAGE = """
로그인 | 회원가입
  • 정치
  • 경제
  • IT·과학
맑음 부산 18.2℃
흐림 인천 15.0℃
[단독] 네이버, 사우디에 클라우드 거점 세운다
중동 첫 데이터센터 내년 착공
현지 기업 20곳과 협력
등록 2024.11.03 14:22
홍길동 기자 hong@example.co.kr
글자크기
  • 가
  • 가
네이버클라우드가 사우디아라비아 리야드에 중동 첫 데이터센터를 짓는다. 회사는 3일 현지 통신사와 합작법인을 세우고 내년 상반기 착공한다고 밝혔다.
▲네이버클라우드 춘천 데이터센터 전경 (사진=네이버 제공)
투자 규모는 약 1조원으로 알려졌다. 업계는 중동의 공공 클라우드 수요가 빠르게 늘고 있다고 본다.
◇ 소버린 AI 수요 겨냥
사우디 정부는 자국 데이터를 국내에 두는 소버린 AI 정책을 추진하고 있다. 네이버는 자체 초거대 AI 모델을 현지 언어로 학습시켜 공급할 계획이다.
추천12
댓글 3
공유하기
많이 본 뉴스
  • 코스피, 외국인 매도에 2500선 붕괴
  • 프로야구 한국시리즈 7차전 매진
코스피 2,512.33 -1.2%
코스닥 702.10 +0.4%
"""


def test_synthetic_page_keeps_body_and_drops_chrome():
    doc = clean_page(SYNTHETIC_PAGE, "synthetic")
    assert doc.title == "[단독] 네이버, 사우디에 클라우드 거점 세운다"
    assert doc.published == "2024-11-03"
    assert doc.source and doc.source.startswith("홍길동 기자")
    for kept in ["중동 첫 데이터센터 내년 착공", "네이버클라우드가 사우디아라비아 리야드에",
                 "투자 규모는 약 1조원으로", "◇ 소버린 AI 수요 겨냥", "현지 언어로 학습시켜 공급할 계획이다."]:
        assert kept in doc.text, kept
    for dropped in ["로그인", "정치", "18.2℃", "글자크기", "사진=", "추천12", "댓글 3", "공유하기",
                    "많이 본 뉴스", "코스피", "프로야구", "hong@example", "등록 2024"]:
        assert dropped not in doc.text, dropped
    kinds = {doc.text[b.start:b.end]: b.kind for b in doc.blocks}
    assert kinds["◇ 소버린 AI 수요 겨냥"] == "heading"
    assert kinds["[단독] 네이버, 사우디에 클라우드 거점 세운다"] == "title"


def test_page_without_headline_gets_first_sentence_as_title():
    doc = clean_page("입력 2023-05-01\n정부가 반도체 특별법을 발표했다. 세액공제를 늘린다.\n", "x")
    assert doc.title == "정부가 반도체 특별법을 발표했다."
    assert doc.published == "2023-05-01"


def test_parse_date_formats():
    assert parse_date("2025년 09월 02일 화요일") == "2025-09-02"
    assert parse_date("date 2025-08-25") == "2025-08-25"
    assert parse_date("입력 2026.1.7 05:00") == "2026-01-07"
    assert parse_date("2025-13-40") is None


def test_empty_page_is_empty_document():
    doc = clean_page("\n  \n", "empty")
    assert doc.text == "" and doc.blocks == ()


@pytest.mark.parametrize("headline,deck,body", [
    # a longer deck under the headline was taken for the title, and the headline, with the
    # article's name in it, was lost
    ("인천 경전철 ‘해누리선’ 28일 개통…송도~청라 38분",
     "총연장 21.4㎞·정거장 16곳, 사업비 1조 2,600억 원…첫 달 요금 50% 할인",
     "총사업비는 1조 2,600억 원으로, 국비 40%와 시비 60%로 충당됐다."),
    # a deck that ends on a quote looks like a sentence, but it is no body text
    ("한빛유나이티드 이준서, 독일 라인베르크 이적…이적료 K리그 역대 최고",
     "계약 기간 2029년 6월까지 4년…“유럽 무대에서 실력으로 증명하겠다”",
     "프로축구 한빛유나이티드의 공격수 이준서(22)가 독일 FC라인베르크로 이적한다."),
])
def test_the_headline_is_the_title_and_its_deck_a_heading(headline, deck, body):
    doc = clean_page(f"{headline}\n{deck}\n\n{body}\n", "deck")
    assert doc.title == headline
    kinds = {doc.text[b.start:b.end]: b.kind for b in doc.blocks}
    assert (kinds[deck], kinds[body]) == ("heading", "body")


def test_a_headline_alone_is_a_title():
    # a page whose last line is its headline: no line under it to read as a deck
    doc = clean_page("메뉴\n인천 경전철 ‘해누리선’ 28일 개통…송도~청라 38분\n", "alone")
    assert doc.title == "인천 경전철 ‘해누리선’ 28일 개통…송도~청라 38분"
