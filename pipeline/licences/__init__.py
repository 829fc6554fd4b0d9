"""licences"""
