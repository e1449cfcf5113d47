"""The Streamlit workbench for bank data scientists, validators, compliance officers and HKMA
reviewers: sign in, launch runs, compare them, try the privacy guard and the assistant, review
and sign off reports. Start it with ``make ui``.

Pages live in ``workbench/pages`` and use the public ``sandbox`` API only (a test fails any page
that imports ``sandbox.<internal>``).
"""

from workbench.shell import main

main()
