"""The studio: a score produced, not just rendered.

    ScoreTokens -> production.py  which instrument plays each part (synth voice, drum machine,
                                  SoundFont) and which mix, from assets/production/ and the style
                -> synth.py, drums.py, the SoundFont (codecs/soundfont.py)   dry parts [2, N]
                -> mix.py         inserts, balance, pan, reverb and delay sends, sidechain, bus
                -> MixResult      the mix and its stems (they sum to it)

render.produce() runs it; codecs/studio.py is the codec the pipeline calls.
"""
