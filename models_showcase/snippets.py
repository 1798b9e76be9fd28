"""The usage snippet the Hub shows for a model, by its library."""

from models_showcase.models import HubCard

# Tags and pipeline tags by which the Hub tells a reranker (a cross-encoder) from an embedding model.
_CROSS_ENCODER_SIGNS = {"cross-encoder", "text-ranking", "reranker", "text-classification"}


# The tasks transformers' pipeline() takes. A pipeline tag comes from the Hub, which is
# untrusted input: only one of these is ever written into code a visitor may copy.
TRANSFORMERS_PIPELINES = frozenset(
    {
        "audio-classification",
        "automatic-speech-recognition",
        "depth-estimation",
        "document-question-answering",
        "feature-extraction",
        "fill-mask",
        "image-classification",
        "image-feature-extraction",
        "image-segmentation",
        "image-text-to-text",
        "image-to-image",
        "image-to-text",
        "mask-generation",
        "object-detection",
        "question-answering",
        "summarization",
        "table-question-answering",
        "text-classification",
        "text-generation",
        "text-to-audio",
        "text2text-generation",
        "token-classification",
        "translation",
        "video-classification",
        "visual-question-answering",
        "zero-shot-audio-classification",
        "zero-shot-classification",
        "zero-shot-image-classification",
        "zero-shot-object-detection",
    }
)


def usage_snippet(card: HubCard) -> tuple[str, str] | None:
    """(language, code) to show on the card's page, or None when the library is unknown (and for a Space)."""
    repo = card.repo_id
    if card.kind == "dataset":
        return "python", f'from datasets import load_dataset\n\nds = load_dataset("{repo}")'
    if card.kind == "space":
        return None
    library = card.library_name
    signs = {card.pipeline_tag, *card.tags}
    if library == "sentence-transformers":
        if signs & _CROSS_ENCODER_SIGNS:
            return "python", (
                "from sentence_transformers import CrossEncoder\n\n"
                f'model = CrossEncoder("{repo}")\n'
                'scores = model.predict([("질문", "문서 1"), ("질문", "문서 2")])'
            )
        return "python", (
            "from sentence_transformers import SentenceTransformer\n\n"
            f'model = SentenceTransformer("{repo}")\n'
            'embeddings = model.encode(["첫 번째 문장", "두 번째 문장"])'
        )
    if library == "transformers":
        if card.pipeline_tag in TRANSFORMERS_PIPELINES:
            return "python", (
                f'from transformers import pipeline\n\npipe = pipeline("{card.pipeline_tag}", model="{repo}")'
            )
        return "python", (
            "from transformers import AutoModel, AutoTokenizer\n\n"
            f'tokenizer = AutoTokenizer.from_pretrained("{repo}")\n'
            f'model = AutoModel.from_pretrained("{repo}")'
        )
    if library == "diffusers":
        return (
            "python",
            f'from diffusers import DiffusionPipeline\n\npipe = DiffusionPipeline.from_pretrained("{repo}")',
        )
    if library == "peft":
        return "python", f'from peft import AutoPeftModel\n\nmodel = AutoPeftModel.from_pretrained("{repo}")'
    if library == "timm":
        return "python", f'import timm\n\nmodel = timm.create_model("hf_hub:{repo}", pretrained=True)'
    if library == "gguf" or "gguf" in card.tags:
        return "sh", f"llama-cli -hf {repo}"
    if card.has_hub_stats:
        return "python", f'from huggingface_hub import snapshot_download\n\nsnapshot_download(repo_id="{repo}")'
    return None
