"""A BERT encoder with mean pooling and a linear head: how an e5 encoder is fine-tuned.

multilingual-e5 was pretrained with mean pooling, so its ``<s>`` vector carries little of the
text in the first layers; transformers' ``BertForSequenceClassification`` classifies from that
vector through a new tanh pooler, and fine-tuning from it did not move the loss off ln(18)
in the first 80 steps (measured). Averaging the token vectors, as e5 does, is the head its
pretraining prepared. A ``PreTrainedModel`` subclass, so ``from_pretrained`` /
``save_pretrained`` and fp16 safetensors work unchanged; ``config.architectures`` names it,
which is how ``classifiers.transformer`` knows to load it.
"""

import torch
from transformers import BertConfig, BertModel, BertPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput


class MeanPoolBert(BertPreTrainedModel):
    config_class = BertConfig

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = torch.nn.Dropout(config.hidden_dropout_prob)
        if config.num_labels is None:
            raise ValueError("MeanPoolBert needs config.num_labels")
        self.classifier = torch.nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **_
    ) -> SequenceClassifierOutput:
        hidden = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # padding never enters the mean
        logits = self.classifier(self.dropout(pooled))
        loss = torch.nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)
