# The from-scratch twin of the demo finetuning: the same model, data and schedule, with the
# encoder initialised as mmaction2's VisionTransformer does by default (no pretraining).
#   mim train mmaction configs/demo/vit-tiny-p8_scratch_8x2x1_signdemo.py
_base_ = ['./vit-tiny-p8_signmae-handarm-pre_8x2x1_signdemo.py']

pretrained = None
# A list replaces the base's Pretrained init: VisionTransformer's own default init.
model = dict(
    backbone=dict(
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
        ]))
