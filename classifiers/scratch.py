"""A small BERT trained from scratch, with a WordPiece vocabulary learnt from our corpus.

The pretrained MiniLM knows English sub-words only, so Vietnamese syllables are split
into fragments. A vocabulary learnt from the reports keeps whole syllables (with or
without diacritics) as tokens, and a 2-4 layer model is far cheaper to run; the price is
that every weight is learnt from ~4k labelled reports.
"""

from typing import Any

from tokenizers import BertWordPieceTokenizer
from transformers import (  # type: ignore[attr-defined]  # BertTokenizerFast: lazily exported, not in the stubs
    BertConfig,
    BertForSequenceClassification,
    BertTokenizerFast,
    ModernBertConfig,
    ModernBertForSequenceClassification,
    PreTrainedModel,
)

from classifiers.text import strip_diacritics


def train_tokenizer(texts: list[str], vocab_size: int, strip_accents: bool, max_length: int) -> BertTokenizerFast:
    """WordPiece over the texts and their diacritic-free copies (so 'duong' is a token too)."""
    wordpiece = BertWordPieceTokenizer(lowercase=True, strip_accents=strip_accents, clean_text=True)
    corpus = texts if strip_accents else texts + [strip_diacritics(t) for t in texts]
    wordpiece.train_from_iterator(corpus, vocab_size=vocab_size, min_frequency=2)
    # The flags are repeated so that they land in tokenizer_config.json: on reload,
    # transformers rebuilds the normaliser from them (strip_accents=None would strip).
    return BertTokenizerFast(
        tokenizer_object=wordpiece._tokenizer,
        do_lower_case=True,
        strip_accents=strip_accents,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_length,
    )


def small_encoder(
    arch: str, vocab_size: int, labels: list[str], layers: int, hidden: int, max_length: int, dropout: float
) -> PreTrainedModel:
    """A randomly initialised encoder with a classification head.

    ``bert``: classic post-LayerNorm BERT classifying from [CLS]. ``modernbert``: pre-norm
    layers (easier to train from random weights) and a head over the mean of all tokens,
    which does not have to learn first to gather the sentence into one token.
    Special-token ids follow train_tokenizer's vocabulary: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3.
    """
    common: dict[str, Any] = dict(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=max(1, hidden // 64),
        max_position_embeddings=max_length,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={c: i for i, c in enumerate(labels)},
        pad_token_id=0,
    )
    if arch == "bert":
        return BertForSequenceClassification(
            BertConfig(
                intermediate_size=4 * hidden,
                hidden_dropout_prob=dropout,
                attention_probs_dropout_prob=dropout,
                **common,
            )
        )
    if arch == "modernbert":
        # global_attn_every_n_layers: accepted and turned into layer_types, though not in the signature
        config = ModernBertConfig(
            intermediate_size=2 * hidden,
            classifier_pooling="mean",
            cls_token_id=2,
            sep_token_id=3,
            bos_token_id=2,
            eos_token_id=3,
            local_attention=max_length,
            global_attn_every_n_layers=1,
            embedding_dropout=dropout,
            mlp_dropout=dropout,
            attention_dropout=dropout,
            classifier_dropout=dropout,
            **common,
        )  # type: ignore[call-arg]
        return ModernBertForSequenceClassification(config)
    raise ValueError(f"unknown architecture {arch!r}")
