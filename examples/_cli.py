"""The command line shared by the examples: ``--help`` shows the docstring's
whole first paragraph and each option's help with its default."""
import argparse


def parser(doc):
    """An ArgumentParser described by the first paragraph of ``doc`` (complete
    sentences, not a first line cut mid-sentence)."""
    first = " ".join(doc.strip().split("\n\n")[0].split())
    return argparse.ArgumentParser(description=first,
                                   formatter_class=argparse.ArgumentDefaultsHelpFormatter)
