"""enrichment"""
