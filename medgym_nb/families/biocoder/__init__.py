"""The BioCoder family: write a bioinformatics function; a hidden program that calls it decides by what it prints."""

from .family import BiocoderFamily

__all__ = ["BiocoderFamily"]
