"""Inference APIs in mmaction2's style: load a trained recognizer, name the sign in a video."""
from .file_checks import check_checkpoint_file, check_video_file, describe_file
from .inference import (SignRecognition, annotate_video, class_names, inference_sign_recognizer,
                        init_sign_recognizer, needs_sign_annotation)

__all__ = ['SignRecognition', 'annotate_video', 'check_checkpoint_file', 'check_video_file',
           'class_names', 'describe_file', 'inference_sign_recognizer', 'init_sign_recognizer',
           'needs_sign_annotation']
