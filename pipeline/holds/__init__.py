"""holds"""
