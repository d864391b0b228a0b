"""Writes the ids OpenAI CLIP's own tokenizer gives, for tests/Gateway.Diffusion.Tests/Fixtures/clip/.

Usage: [CLIP_COMMIT=…] [FTFY_COMMIT=…] python3 reference_ids.py PATH_TO_PYTHON_FTFY_SOURCE PATH_TO_OPENAI_CLIP_SOURCE < prompts.json > golden.json

prompts.json is a JSON list of strings. The tokenizer is clip/simple_tokenizer.py as published (ftfy.fix_text,
html.unescape twice, whitespace clean-up, lower-casing, BPE over bpe_simple_vocab_16e6); ids exclude BOS and EOS.
"""
import importlib.util
import json
import os
import sys

sys.path.insert(0, sys.argv[1])
import ftfy  # noqa: E402

spec = importlib.util.spec_from_file_location("simple_tokenizer", f"{sys.argv[2]}/clip/simple_tokenizer.py")
simple_tokenizer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(simple_tokenizer)
tokenizer = simple_tokenizer.SimpleTokenizer(bpe_path=f"{sys.argv[2]}/clip/bpe_simple_vocab_16e6.txt.gz")


prompts = json.load(sys.stdin)
golden = {
    "source": (
        f"OpenAI CLIP clip/simple_tokenizer.py (openai/CLIP {os.environ.get('CLIP_COMMIT', '')}) with ftfy "
        f"{ftfy.__version__} ({os.environ.get('FTFY_COMMIT', '')}), regex {__import__('regex').__version__}, Python {sys.version.split()[0]}; "
        "ids before BOS/EOS/padding; written by tools/clip-text/reference_ids.py"
    ),
    "cases": [{"prompt": p, "ids": tokenizer.encode(p)} for p in prompts],
}
cases = ",\n".join("  " + json.dumps(case, ensure_ascii=True) for case in golden["cases"])
print(f'{{\n "source": {json.dumps(golden["source"])},\n "cases": [\n{cases}\n ]\n}}')
