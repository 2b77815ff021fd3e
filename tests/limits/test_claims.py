"""The arithmetic of budget claims: what an edge may claim, how much, and when a claim lapses."""

from ingate_edge.limits.claims import (
    MAX_SLICE_REQUESTS,
    Claim,
    Claims,
    held_by_others,
    left_to_claim,
    to_claim,
    with_claim,
)

NOW = 1_000_000.0


def test_only_live_claims_of_other_edges_hold_the_budget() -> None:
    claims = Claims({"a": Claim(300, NOW + 10), "b": Claim(200, NOW - 1), "c": Claim(100, NOW + 1)})
    assert held_by_others(claims, "c", NOW) == 300  # b's claim has lapsed
    # 1,000 budget, 250 spent, a's 300 and c's own 100 held: 350 left for c to add.
    assert left_to_claim(1000, 250, claims, "c", NOW) == 350
    assert left_to_claim(1000, 250, claims, "c", NOW + 20) == 750  # after a's lapses too


def test_far_from_the_end_a_claim_takes_a_slice_for_later_requests() -> None:
    assert to_claim(1000, 1000, 1_000_000) == 1000 + (1_000_000 - 1000) // 20
    assert to_claim(10, 10, 10**12) == 10 + MAX_SLICE_REQUESTS * 10  # at most 1,000 requests' worth


def test_near_the_end_a_claim_is_exactly_the_request() -> None:
    assert to_claim(10, 10, 25) == 10  # a twentieth of the 15 beyond is less than a micro-USD
    assert to_claim(10, 10, 10) == 10
    assert to_claim(10, 10, 9) is None  # refused: the last 9 stay for a cheaper request
    assert to_claim(0, 10, 100) == 5  # already covered (a renewal): only the slice


def test_writing_a_claim_drops_lapsed_ones_and_an_empty_one() -> None:
    claims = Claims({"a": Claim(300, NOW - 1), "b": Claim(200, NOW + 5)})
    assert with_claim(claims, "c", 50, NOW + 30, NOW) == Claims(
        {"b": Claim(200, NOW + 5), "c": Claim(50, NOW + 30)}
    )
    assert with_claim(claims, "b", 0, NOW + 30, NOW) == Claims({})
