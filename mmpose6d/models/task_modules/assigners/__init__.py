from .matcher_assigner import MatcherAssigner

__all__ = ['MatcherAssigner']
