"""Document chat assistant for ILO staff: GB.334/INS/3/1 and the papers it cites, answered with paragraph citations."""
