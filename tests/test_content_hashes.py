"""Every shipped incident keeps its content hash across a reorganisation of the code.

A ledger holds the hash of each version it sent; a run that computes another hash for the same
file takes it for new words and sends it again to everyone. So a change that moves code (issue
#24) must leave these figures alone. They were computed at 321057a, before the move. A change
to a shipped file's WORDS changes its hash on purpose: then this table changes in the same
commit, with the reason.

Changed on purpose (#25, translations that disagree on facts): panne-nord's French FAQ now
gives 112 as its English does (« appelez le 15 ou le 112 »), and insurance-en's French headline
the opening hours its English gives (« de 8h à 20h »).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcast.delivery.sending import content_hash
from broadcast.input.incident import load_incident

REPO = Path(__file__).resolve().parent.parent

HASHES = {
    ("broadcast/sectors/bank/bank-en.yaml", False): "4329b6b935ea72c15ec092e87a80b71f",
    ("broadcast/sectors/bank/bank-en.yaml", True): "1cc0ba4484f8de01c282e44763eae980",
    ("broadcast/sectors/bank/bank-fr.yaml", False): "0158a7de1661c6c4e8bfebcaaadf5793",
    ("broadcast/sectors/bank/bank-fr.yaml", True): "838ece00c6508f59a31c33a5bfc646db",
    ("broadcast/sectors/insurance/insurance-en.yaml", False): "61d95a203652ddd86f459d84d297b877",
    ("broadcast/sectors/insurance/insurance-en.yaml", True): "0a1ed457084d3bb522447def4fb690cd",
    ("broadcast/sectors/insurance/insurance-fr.yaml", False): "4d092d4171cafb55f08a0155e2548dee",
    ("broadcast/sectors/insurance/insurance-fr.yaml", True): "f08f47e0b19fa98df0f63063e756cf4f",
    ("broadcast/sectors/public/public-en.yaml", False): "07f907491676b82627cb5e290c2dbe91",
    ("broadcast/sectors/public/public-en.yaml", True): "9a5f33aaf93353175e3f2373c379a528",
    ("broadcast/sectors/public/public-fr.yaml", False): "85eabcfbb8df98d2499c8645230fb2ec",
    ("broadcast/sectors/public/public-fr.yaml", True): "c8cf8e2264d5b7b6705ea33ffaf3472f",
    ("broadcast/sectors/retail/retail-en.yaml", False): "18234836a8b1cb7d80ae66b892e9cb62",
    ("broadcast/sectors/retail/retail-en.yaml", True): "872ad2a1be8e2eedc96e598dab25be08",
    ("broadcast/sectors/retail/retail-fr.yaml", False): "e10c508e121e99fa29d27e2a0f424871",
    ("broadcast/sectors/retail/retail-fr.yaml", True): "7c16f38c04484471d1fda06f42594d3a",
    ("broadcast/sectors/telecom/telecom-en.yaml", False): "7c5cbb14b30a038fe8bc3b6c42da3987",
    ("broadcast/sectors/telecom/telecom-en.yaml", True): "4669678244af636bfe02291bb9ace396",
    ("broadcast/sectors/telecom/telecom-fr.yaml", False): "7aff0b34da5b3e538db4ca56332dc622",
    ("broadcast/sectors/telecom/telecom-fr.yaml", True): "d599dd5ced3c1922b9293a6a5e5b4160",
    ("broadcast/sectors/transport/transport-en.yaml", False): "09200695c0c3d29ee247252b387d43b4",
    ("broadcast/sectors/transport/transport-en.yaml", True): "4d9f8073c5e7eedc418eafa77ef4c5c6",
    ("broadcast/sectors/transport/transport-fr.yaml", False): "0cf04ce4ae687e5583783ef4cac79e69",
    ("broadcast/sectors/transport/transport-fr.yaml", True): "df8c1add4069abef9c65ab12a6b964b4",
    ("broadcast/sectors/utility/utility-en.yaml", False): "d8df2f0b5b4e96368bcbb68eeaf2e2b1",
    ("broadcast/sectors/utility/utility-en.yaml", True): "184330706a82116ea8f5fd0b1052e95a",
    ("broadcast/sectors/utility/utility-fr.yaml", False): "a3068e5225331764ffc4e48295126d83",
    ("broadcast/sectors/utility/utility-fr.yaml", True): "3494fbab69fde45d52b69f400bb64e3f",
    ("examples/panne-nord.yaml", False): "d87e7b554c8bda2567a8e6ba58a3ed8d",
    ("examples/panne-nord.yaml", True): "cf244aaadbaa0b9948931d92a3030253",
    ("examples/storm-en.yaml", False): "285cf153fb7617171cd038050aea3e1c",
    ("examples/storm-en.yaml", True): "23372def153088f46aa646b692088db0",
}


@pytest.mark.parametrize(("path", "exercise"), HASHES)
def test_a_shipped_incident_keeps_its_content_hash(path: str, exercise: bool) -> None:
    incident, _ = load_incident(REPO / path, {"locale": "fr", "timezone": "Europe/Paris"}, exercise)
    assert content_hash(incident) == HASHES[(path, exercise)]


def test_every_shipped_incident_is_in_the_table() -> None:
    shipped = {
        str(p.relative_to(REPO))
        # A sector's incidents are named NAME-LANG.yaml; its channels.yaml is not one.
        for p in [*REPO.glob("examples/*.yaml"), *REPO.glob("broadcast/sectors/*/*-??.yaml")]
    }
    assert shipped == {path for path, _ in HASHES}
