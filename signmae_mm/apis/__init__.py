"""Inference APIs in mmaction2's style: load a trained recognizer, name the sign in a video."""
from .inference import (SignRecognition, annotate_video, class_names, inference_sign_recognizer,
                        init_sign_recognizer, needs_sign_annotation)

__all__ = ['SignRecognition', 'annotate_video', 'class_names', 'inference_sign_recognizer',
           'init_sign_recognizer', 'needs_sign_annotation']
