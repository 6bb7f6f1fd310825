"""What belongs to no language: networks, language switches, agencies, signs."""

INTERFACE = (
    r"facebook|twitter|linkedin|whatsapp|x|pinterest|telegram|reddit|e-?mail|email|mail|flipboard|messenger",
    r"© .*",
    r"fr",
    r"en",
    r"de",
    r"es",
    r"it",
)
CAPTION_AGENCIES = (r"afp", r"reuters", r"ap", r"getty", r"maxppp", r"sipa", r"abaca", r"ctk", r"epa", r"hans lucas")
CAPTION_SIGNS = (r"getty images", r"afp photo")
NOT_PUBLICATION = (r"©",)
NOTICE = (r"javascript",)
