"""The 4-bit kernels of course_utils.llm_kernels on the packaged SmolLM2: swapping the linear layers for ones that
decode straight from the GGUF's Q4_1/Q8_0 blocks keeps lesson 03's greedy tokens identical to the float32 model's,
keeps `generate` and `chat` in agreement, leaves layers of unsupported GGUF types in float32 (saying so), and
refuses a model whose weights are not the file's."""
import pytest

torch = pytest.importorskip("torch")

from course_utils import llm_kernels as lk  # noqa: E402
from course_utils import pretrained, prompting  # noqa: E402
from course_utils.assets import asset_path  # noqa: E402

PROMPTS = ["What is the capital of France?", "Tell me about the history of Paris.", "Write one sentence about the sea."]
NEW_TOKENS = 24


def fresh_model():
    "A float32 SmolLM2 of its own (load_llm's is shared, and may already use the kernels), from the converted copy."
    from transformers import AutoModelForCausalLM
    _, tokenizer = pretrained.load_llm()  # converts the GGUF once, if the cache is empty
    return AutoModelForCausalLM.from_pretrained(pretrained._llm_cache_folder(), dtype=torch.float32).eval(), tokenizer


def greedy_ids(model, tokenizer, prompt: str, new_tokens: int = NEW_TOKENS) -> list[int]:
    "Lesson 03's greedy loop (prompting.generate) on token ids: the prompt once, then one token at a time from the cache."
    ids = tokenizer(prompting.render_prompt(prompt), add_special_tokens=False)["input_ids"]
    tokens = []
    with torch.inference_mode():
        output = model(input_ids=torch.tensor([ids]), use_cache=True, logits_to_keep=1)
        while True:
            tokens.append(int(output.logits[0, -1].argmax()))
            if len(tokens) == new_tokens: return tokens
            output = model(input_ids=torch.tensor([[tokens[-1]]]), past_key_values=output.past_key_values, use_cache=True)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    "(float32 tokens per prompt, the model with kernels, its tokenizer, the swap's report, the pack's cache file)."
    model, tokenizer = fresh_model()
    expected = {prompt: greedy_ids(model, tokenizer, prompt) for prompt in PROMPTS}
    cache = tmp_path_factory.mktemp("kernels") / "gguf_kernels.safetensors"
    report = lk.use_gguf_kernels(model, asset_path("smollm2"), cache=cache)
    return expected, model, tokenizer, report, cache


def test_the_kernels_keep_the_greedy_tokens(models):
    expected, model, tokenizer, report, _ = models
    assert report == {"swapped": {"Q4_1": 210, "Q8_0": 1}, "kept": {}}, "every linear layer of SmolLM2 has a kernel"
    for prompt in PROMPTS:
        assert greedy_ids(model, tokenizer, prompt) == expected[prompt], f"the kernels changed the greedy tokens of {prompt!r}"
    assert lk._linear_class().failed is None, f"the kernels fell back to float32: {lk._linear_class().failed}"
    assert lk.compiled_kernel.cache_info().currsize == 5, "a kernel for each layer shape ran: four Q4_1, one Q8_0"


def test_generate_and_chat_agree_with_the_kernels(models, monkeypatch):
    "Lesson 03 asserts that its own loop and the library's model.generate give the same greedy answer."
    _, model, tokenizer, _, _ = models
    monkeypatch.setattr(pretrained, "load_llm", lambda: (model, tokenizer))
    monkeypatch.setattr(prompting, "load_llm", lambda: (model, tokenizer))
    question = "What is the capital of France?"
    assert prompting.generate(question, max_new_tokens=12) == pretrained.chat(question, max_new_tokens=12)


def test_a_cached_pack_is_read_back_and_swapping_twice_changes_nothing(models):
    expected, model, tokenizer, _, cache = models
    assert cache.exists()
    again = lk.use_gguf_kernels(model, asset_path("smollm2"), cache=cache)
    assert again["swapped"] == {"Q4_1": 210, "Q8_0": 1} and again["kept"] == {}
    assert greedy_ids(model, tokenizer, PROMPTS[0], 8) == expected[PROMPTS[0]][:8]


def test_unsupported_gguf_types_stay_float32(monkeypatch):
    model, _ = fresh_model()
    found = lk.gguf_linear_blocks(model, asset_path("smollm2"))
    q4_1_blocks = found["model.layers.0.mlp.down_proj"][1]
    found["model.layers.0.mlp.down_proj"] = ("Q6_K", q4_1_blocks)  # as if the file stored this layer in Q6_K
    monkeypatch.setattr(lk, "gguf_linear_blocks", lambda model, gguf_path: found)
    report = lk.use_gguf_kernels(model, asset_path("smollm2"))
    assert report["swapped"] == {"Q4_1": 209, "Q8_0": 1}
    assert list(report["kept"]) == ["model.layers.0.mlp.down_proj"]
    assert type(model.get_submodule("model.layers.0.mlp.down_proj")) is torch.nn.Linear
    with pytest.raises(ValueError, match="no kernel for GGUF type Q6_K"):
        lk.pack_blocks("Q6_K", q4_1_blocks)


def test_a_model_whose_weights_are_not_the_files_is_refused(models):
    _, _, _, _, cache = models
    model, _ = fresh_model()
    with torch.no_grad(): model.model.layers[3].self_attn.q_proj.weight[0, 0] += 1e-3  # a fine-tuned model, say
    with pytest.raises(ValueError, match="are not the model's weights"):
        lk.use_gguf_kernels(model, asset_path("smollm2"), cache=cache)


def test_a_layer_on_another_device_uses_its_float32_weight(models):
    "A model moved off the CPU (a GPU; here PyTorch's 'meta' device) computes with its float32 weights, without warning."
    import copy
    import warnings
    _, model, _, _, _ = models
    layer = copy.deepcopy(model.get_submodule("model.layers.0.self_attn.q_proj")).to("meta")
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.filterwarnings("error", message="the GGUF kernels could not be compiled")  # the CPU kernel was tried there
        out = layer(torch.zeros(1, 1, layer.in_features, device="meta"))
    assert out.device.type == "meta" and out.shape == (1, 1, layer.out_features)
    assert lk._linear_class().failed is None


@pytest.mark.parametrize("where", ["cpu", "cuda"])
def test_load_llm_keeps_the_kernels_on_the_cpu_and_moves_the_model_to_a_gpu(where, monkeypatch):
    "Where env.device() says 'cuda', load_llm moves the float32 model there and leaves its layers plain; else it swaps them."
    from course_utils import env
    moved = []
    monkeypatch.setattr(env, "device", lambda verbose=True: where)
    monkeypatch.setattr(torch.nn.Module, "to", lambda self, *args, **kwargs: moved.append(args) or self)  # no GPU here
    model, _ = pretrained.load_llm.__wrapped__()
    q_proj = type(model.get_submodule("model.layers.0.self_attn.q_proj"))
    if where == "cuda": assert moved == [("cuda",)] and q_proj is torch.nn.Linear
    else: assert moved == [] and q_proj is lk._linear_class()


def test_the_first_compile_on_a_machine_says_why_the_first_answer_waits(models, tmp_path, monkeypatch, capsys):
    "COMPILE_NOTICE is printed when Inductor's folder has no marker for these kernels, then the marker stops it."
    _, model, _, _, _ = models
    marker = tmp_path / "marker"
    monkeypatch.setattr(lk, "_compiled_marker", lambda: marker)
    layer = model.get_submodule("model.layers.0.self_attn.q_proj")
    shapes = tuple((tuple(a.shape), a.dtype) for a in (torch.zeros(1, layer.in_features), layer.q, layer.d, layer.m))
    lk.compiled_kernel.__wrapped__("Q4_1", shapes)  # not the cached one: compile again
    assert capsys.readouterr().out == lk.COMPILE_NOTICE + "\n" and marker.exists()
    lk.compiled_kernel.__wrapped__("Q4_1", shapes)
    assert capsys.readouterr().out == "", "the notice is for the first compile on a machine only"


def test_gguf_read_once_parses_each_file_once_and_restores_the_gguf_package(monkeypatch, tmp_path):
    import gguf
    parsed = []
    class CountingReader:
        def __init__(self, path, mode="r"): parsed.append((path, mode))
    monkeypatch.setattr(gguf, "GGUFReader", CountingReader)
    original_map = gguf.get_tensor_name_map
    other = tmp_path / "other.gguf"
    with lk.gguf_read_once():
        first = gguf.GGUFReader(asset_path("smollm2"))
        assert gguf.GGUFReader(str(asset_path("smollm2"))) is first and len(parsed) == 1
        gguf.GGUFReader(other)
        assert len(parsed) == 2, "another file is parsed on its own"
        assert gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, 2) is gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, 2)
    assert gguf.GGUFReader is CountingReader and gguf.get_tensor_name_map is original_map
    assert type(gguf.GGUFReader(other)) is CountingReader and len(parsed) == 3, "outside the block every call parses"
